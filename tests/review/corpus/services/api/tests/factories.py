import factory


class UserFactory(factory.Factory):
    email = "user@example.com"
    password = factory.PostGenerationMethodCall("set_password", "defaultpassword")
