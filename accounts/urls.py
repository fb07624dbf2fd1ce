from django.contrib.auth import views as auth_views
from django.urls import path

from .views import login, passwords, signup

app_name = "accounts"

urlpatterns = [
    path("signup/", signup.signup, name="signup"),
    path("signup/code/", signup.signup_code, name="signup_code"),
    path("signup/details/", signup.signup_details, name="signup_details"),
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", passwords.password_reset, name="password_reset"),
    path("password/code/", passwords.password_reset_code, name="password_reset_code"),
    path("password/new/", passwords.password_reset_new, name="password_reset_new"),
    path("home/", login.home_for_user, name="home_for_user"),
]
