# code: E001
weather ~ Categorical('sunny': 0.7, 'rainy': 0.3)
