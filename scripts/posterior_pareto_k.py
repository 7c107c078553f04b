#!/usr/bin/env python3
"""The pilot's numbers behind `auto`'s thresholds (docs/inference.md, `--method auto`): for 20
seeds, the ESS share and the Pareto k-hat of 4,096 likelihood-weighting samples on logistic200
and hiring40 of the posterior benchmark, simulated in numpy (the same models, and the same
estimator as src/infer/estimate.rs's pareto_k: Zhang and Stephens with PSIS's weak prior).

    python3 scripts/posterior_pareto_k.py [/work/shared/bench/posterior/data.json]
"""
import sys
import json, numpy as np
d=json.load(open(sys.argv[1] if len(sys.argv) > 1 else '/work/shared/bench/posterior/data.json'))
def gpd_k(x):
    # Zhang & Stephens (2009) with Vehtari's weakly informative prior, as in PSIS
    x=np.sort(x); n=len(x); m=30+int(np.sqrt(n))
    prior=3
    j=np.arange(1,m+1)
    xstar=x[int(n/4+0.5)-1]
    theta=1/x[-1]+(1-np.sqrt(m/(j-0.5)))/prior/xstar
    k=np.array([np.mean(np.log1p(-t*x)) for t in theta])
    L=n*(np.log(-theta/k)-k-1)
    w=1/np.array([np.sum(np.exp(L-l)) for l in L])
    th=np.sum(theta*w)
    k=np.mean(np.log1p(-th*x))
    # weakly informative prior adjustment
    k=(n*k+10*0.5)/(n+10)
    return k
def khat(lw):
    S=len(lw); M=int(min(0.2*S,3*np.sqrt(S)))
    lw=lw-lw.max(); w=np.exp(lw); o=np.sort(w); tail=o[-M:]; u=o[-M-1]
    return gpd_k(tail-u)
def ess(lw):
    w=np.exp(lw-lw.max()); return w.sum()**2/(w*w).sum()
N=4096
x=np.array(d['logistic200']['x']); y=np.array(d['logistic200']['y'],float)
h=np.array(d['hiring40']['hired'],float)
for name in ['logistic200','hiring40']:
  out=[]
  for s in range(20):
    r=np.random.default_rng(s)
    if name=='logistic200':
        a=r.normal(size=N); b=r.normal(size=N); z=a[:,None]+b[:,None]*x[None,:]
        lw=(y*-np.logaddexp(0,-z)+(1-y)*-np.logaddexp(0,z)).sum(1)
    else:
        b=r.normal(size=N); t=r.normal(size=(N,len(h))); z=t+b[:,None]
        lw=(h*-np.logaddexp(0,-z)+(1-h)*-np.logaddexp(0,z)).sum(1)
    out.append((float(round(100*ess(lw)/N,1)), float(round(khat(lw),2))))
  print(name, out)
