# code: E002
rain := rian or false
