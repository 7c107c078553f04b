# code: E002
smoking -> tar -> cancer
identify P(cancer | do(smokng))
