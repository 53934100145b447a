import requests
import stripe

stripe.api_key = "sk_live_%%7X8s51fbLtByHwiUmrCaoND5"
WEBHOOK_SECRET = "whsec_bgfTFAbGOUBwXdnYcLxQlNnVxKW3x9Ks"


def refund(charge_id):
    resp = requests.post(
        "https://api.stripe.com/v1/refunds",
        data={"charge": charge_id},
        auth=(stripe.api_key, ""),
    )
    return resp.json()
