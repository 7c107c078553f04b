# Root cause analysis: which service made this request slow?
#
# A request goes through three services in a chain. Each one's latency is its own time plus
# the time it waited for the service it called. A request took 300 ms against the usual 160:
# `attribute` splits the excess among the services' own noise (Shapley values), so the
# service whose own behaviour was unusual gets the blame, not the ones that merely waited.
# docs/attribution.md works the numbers by hand.

db       ~ Normal(80, 40)          # the database's own time, volatile
api      ~ Normal(30 + db, 5)      # the API's own 30 ms after the database answered
response ~ Normal(50 + api, 10)    # what the user sees: the frontend's own 50 ms on top

# This request: 300 ms. Exact (Gaussian algebra): db 129.86, response 8.12, api 2.03.
attribute response given response = 300

# The slow requests, every one over 250 ms: sampled (the evidence is an inequality), with
# standard errors.
attribute response given response > 250
