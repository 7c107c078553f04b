# code: E002
decision d in bool
u := d
decide d given weather maximize E[u]
