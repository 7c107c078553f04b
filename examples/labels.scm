# Labels: weather and what people do.
# Exact: P(picnic) = 0.6*0.8 + 0.3*0.3 + 0.1*0.05 = 0.575;
#        P(weather = "sunny" | picnic) = 0.48 / 0.575 = 0.8347826087.
weather ~ Categorical("sunny": 0.6, "cloudy": 0.3, "rainy": 0.1)
picnic ~ Bernoulli(match weather { "sunny" => 0.8, "cloudy" => 0.3, "rainy" => 0.05 })
activity := if picnic then "park" else "home"

query P(picnic)                               # exact: 0.575
query P(weather = "sunny" | picnic)           # exact: 0.8347826087
query P(activity = "home" | weather = "rainy")  # exact: 0.95
query P(weather)
