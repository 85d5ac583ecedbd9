from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    # The email claims Persist matches accounts on; ``email_verified`` comes from the user's
    # last name here, so a test can make an unverified account ("unverified").
    oidc_claim_scope = OAuth2Validator.oidc_claim_scope

    def get_additional_claims(self, request):
        user = request.user
        return {"email": user.email, "email_verified": user.last_name != "unverified"}
