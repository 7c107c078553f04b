# code: E001
query P(x | )
