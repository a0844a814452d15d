from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."),
                    Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, so a link on another site cannot sign anyone out."""


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(label, validators=[DataRequired("Enter a new password."), Length(max=256)],
                         render_kw={"autocomplete": "new-password"})


def _confirm_password() -> PasswordField:
    return PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again."),
                    EqualTo("password", "The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


def _current_password() -> PasswordField:
    return PasswordField("Current password",
                         validators=[DataRequired("Enter your current password."), Length(max=256)],
                         render_kw={"autocomplete": "current-password"})


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code from your authenticator app, or a recovery code."),
                    Length(max=40, message="Enter a 6-digit code or a recovery code.")],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from your app",
        validators=[DataRequired("Enter the 6-digit code your app shows."),
                    Regexp(r"^\s*\d{3}[\s-]?\d{3}\s*$", message="Enter the 6 digits your app shows.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    current_password = _current_password()


class ConfirmPasswordForm(FlaskForm):
    """Re-enter the password before changing the second factor."""

    current_password = _current_password()


class ChangePasswordForm(FlaskForm):
    current_password = _current_password()
    password = _new_password()
    password_again = _confirm_password()


class SignOutEverywhereForm(FlaskForm):
    # Required, so that only the button itself (not an empty POST) signs everyone out.
    sign_out = SubmitField("Sign out everywhere", validators=[DataRequired("Use the button to sign out.")])


class RevokeTokenForm(FlaskForm):
    """Revoking one API token: the button and the CSRF token are all there is."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."),
                    Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(FlaskForm):
    password = _new_password()
    password_again = _confirm_password()


class ResetTwoFactorForm(FlaskForm):
    """An admin's reset of another user's two-step sign-in (a POST with a CSRF token)."""
