# code: E001
decision d in bool
u := d
decide d E[u]
