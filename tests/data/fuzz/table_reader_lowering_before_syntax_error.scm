a ~ Categorical("yes": 0.5, "no": 0.5)
b ~ match a { "yes" => Categori }
c ~ Categorical("yes": 0.5, "no": 0.5)
d := (
