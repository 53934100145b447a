"""How many tokens a text costs, without a tokenizer. One function, so every budget adds up."""


def estimate_tokens(text: str) -> int:
    """Tokens a model will spend on `text`: characters / 4, rounded up.

    A cheap, tokenizer-free approximation (English prose and code average 3.5-4.5 characters per
    token), used for context budgets and for usage when a server reports none.
    """
    return (len(text) + 3) // 4
