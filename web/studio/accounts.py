"""``/studio/comptes/``: admins manage accounts in the browser, by the same rules as ``podcaster user``.

Every view needs ``Permission.MANAGE_USERS`` (an editor's forged request is a
403). A password is typed twice, checked by ``check_password`` and never
shown again, logged or echoed into a form. The last admin can be neither
removed nor demoted (the library refuses it under the edit lock, so two
admins at once cannot both succeed), and an admin does not remove or demote
themselves: another admin does, so nobody locks themselves out by a slip.
Every change is in the activity log; the users file is never committed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask_login import login_user

from podcaster.studio import (
    MIN_PASSWORD,
    AccountError,
    Activity,
    Permission,
    Role,
    User,
    add_user,
    check_name,
    check_password,
    find_user,
    load_users,
    record_activity,
    remove_user,
    set_password,
    set_role,
)

from ..i18n import interface_language
from .blueprint import account, bp, language, page, require
from .security import Account
from .texts import texts

MAX_FIELD = 1100  # a little over the longest password accepted, so "too long" can still be said
WORDS = {
    "fr": {
        "title": "Comptes du studio",
        "intro": "Les personnes qui peuvent se connecter au studio, et ce que leur rôle leur permet.",
        "roles_help": "Autrice ou auteur : crée et modifie les brouillons. Édition : modifie tous les "
        "épisodes et publie. Administration : gère aussi les comptes et les réglages de l’émission.",
        "col_name": "Identifiant",
        "col_role": "Rôle",
        "col_changed": "Mot de passe changé le",
        "col_action": "Action",
        "manage": "Gérer",
        "manage_named": "Gérer le compte {name}",
        "you": "(vous)",
        "add_title": "Ajouter un compte",
        "name_help": "1 à 40 caractères : lettres minuscules sans accent, chiffres, « . », « _ » ou « - ».",
        "role": "Rôle",
        "password": "Mot de passe",
        "password_help": "Au moins {min} caractères. Il ne sera plus jamais affiché.",
        "password_again": "Le même mot de passe, une seconde fois",
        "add": "Ajouter le compte",
        "added": "Compte « {name} » ajouté.",
        "account_title": "Compte « {name} »",
        "back": "Revenir aux comptes",
        "role_title": "Changer le rôle",
        "role_action": "Changer le rôle",
        "role_changed": "Le rôle de « {name} » est maintenant : {role}.",
        "role_same": "Le rôle n’a pas changé.",
        "password_title": "Réinitialiser le mot de passe",
        "password_new": "Nouveau mot de passe",
        "password_action": "Réinitialiser le mot de passe",
        "password_changed": "Mot de passe de « {name} » réinitialisé : ses autres sessions sont fermées.",
        "remove_title": "Supprimer le compte",
        "remove_help": "La personne ne pourra plus se connecter ; ce qu’elle a fait reste dans le journal.",
        "remove_confirm": "Je confirme la suppression du compte « {name} »",
        "remove_action": "Supprimer le compte",
        "removed": "Compte « {name} » supprimé.",
        "not_confirmed": "Cochez la case pour confirmer la suppression.",
        "name_invalid": "Identifiant invalide : 1 à 40 lettres minuscules sans accent, chiffres, « . », "
        "« _ » ou « - », en commençant par une lettre ou un chiffre.",
        "name_taken": "Un compte « {name} » existe déjà.",
        "password_short": "Le mot de passe est trop court : au moins {min} caractères.",
        "password_long": "Le mot de passe est trop long.",
        "password_mismatch": "Les deux mots de passe ne sont pas identiques.",
        "last_admin": "C’est le dernier compte d’administration : donnez d’abord ce rôle à un autre compte.",
        "not_yourself": "Vous ne pouvez pas retirer votre propre rôle d’administration ni supprimer votre "
        "propre compte : demandez-le à une autre personne de l’administration.",
        "not_saved": "Rien n’a été modifié : corrigez les erreurs signalées.",
        "own_account": "C’est votre compte.",
    },
    "en": {
        "title": "Studio accounts",
        "intro": "The people who can sign in to the studio, and what their role lets them do.",
        "roles_help": "Author: creates and edits drafts. Editor: edits every episode and publishes. "
        "Admin: also manages accounts and the show’s settings.",
        "col_name": "Username",
        "col_role": "Role",
        "col_changed": "Password changed",
        "col_action": "Action",
        "manage": "Manage",
        "manage_named": "Manage the account {name}",
        "you": "(you)",
        "add_title": "Add an account",
        "name_help": "1 to 40 characters: lower-case letters a-z, digits, “.”, “_” or “-”.",
        "role": "Role",
        "password": "Password",
        "password_help": "At least {min} characters. It will never be shown again.",
        "password_again": "The same password again",
        "add": "Add the account",
        "added": "Account “{name}” added.",
        "account_title": "Account “{name}”",
        "back": "Back to the accounts",
        "role_title": "Change the role",
        "role_action": "Change the role",
        "role_changed": "“{name}” is now: {role}.",
        "role_same": "The role did not change.",
        "password_title": "Reset the password",
        "password_new": "New password",
        "password_action": "Reset the password",
        "password_changed": "Password of “{name}” reset: their other sessions are closed.",
        "remove_title": "Remove the account",
        "remove_help": "They will no longer be able to sign in; what they did stays in the log.",
        "remove_confirm": "I confirm removing the account “{name}”",
        "remove_action": "Remove the account",
        "removed": "Account “{name}” removed.",
        "not_confirmed": "Tick the box to confirm the removal.",
        "name_invalid": "Invalid username: 1 to 40 lower-case letters a-z, digits, “.”, “_” or “-”, "
        "starting with a letter or digit.",
        "name_taken": "An account “{name}” already exists.",
        "password_short": "The password is too short: at least {min} characters.",
        "password_long": "The password is too long.",
        "password_mismatch": "The two passwords differ.",
        "last_admin": "This is the last admin account: give another account that role first.",
        "not_yourself": "You cannot remove your own admin role or your own account: ask another admin.",
        "not_saved": "Nothing was changed: fix the errors shown.",
        "own_account": "This is your account.",
    },
}


def _words() -> dict[str, str]:
    return WORDS[interface_language(language())]


def _role_names() -> list[tuple[str, str]]:
    t = texts(language())
    return [(role.value, t[f"role_{role.value}"]) for role in Role]


def _password_errors(first: str, second: str, w: dict[str, str]) -> list[str]:
    try:
        check_password(first)
    except AccountError:
        return [
            w["password_short" if len(first) < MIN_PASSWORD else "password_long"].format(min=MIN_PASSWORD)
        ]
    return [] if first == second else [w["password_mismatch"]]


def _log(action: str, subject: str, detail: str = "") -> None:
    now = current_app.config["CLOCK"]()
    record_activity(current_app.config["ROOT"], Activity(now, account().name, action, subject, detail))


def _list_page(
    values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    users = sorted(load_users(current_app.config["ROOT"]).values(), key=lambda user: user.name)
    notice = ""
    w = _words()
    done, name = request.args.get("fait", ""), request.args.get("nom", "")
    if request.method == "GET" and done in ("added", "removed"):
        cleaned = _plain_name(name)
        exists = bool(cleaned) and find_user(current_app.config["ROOT"], cleaned) is not None
        if cleaned and exists == (done == "added"):
            notice = w[done].format(name=cleaned)
    return page(
        "studio/accounts.html",
        status,
        w=w,
        users=users,
        roles=_role_names(),
        values=values or {"name": "", "role": Role.AUTHOR.value},
        errors=errors or {},
        notice=notice,
        min_password=MIN_PASSWORD,
        me=account().name,
    )


def _plain_name(name: str) -> str:
    try:
        return check_name(name)
    except AccountError:
        return ""


@bp.get("/comptes/")
@require(Permission.MANAGE_USERS)
def accounts() -> Response:
    return _list_page()


@bp.post("/comptes/")
@require(Permission.MANAGE_USERS)
def add_account() -> Response:
    w = _words()
    form = request.form
    values = {"name": form.get("name", "")[:MAX_FIELD], "role": form.get("role", "")}
    if values["role"] not in {role.value for role in Role}:
        abort(400)
    errors: dict[str, list[str]] = {}
    try:
        name = check_name(values["name"])
    except AccountError:
        errors["name"] = [w["name_invalid"]]
        name = ""
    password_errors = _password_errors(
        form.get("password", "")[:MAX_FIELD], form.get("password2", "")[:MAX_FIELD], w
    )
    if password_errors:
        errors["password"] = password_errors
    if not errors:
        try:
            add_user(current_app.config["ROOT"], name, Role(values["role"]), form["password"])
        except AccountError:
            errors["name"] = [w["name_taken"].format(name=name)]
    if errors:
        return _list_page(values, errors, 422)
    _log("user-added", name, values["role"])
    return redirect(url_for("studio.accounts", fait="added", nom=name))  # type: ignore[return-value]


def _user_or_404(name: str) -> User:
    user = find_user(current_app.config["ROOT"], name)
    if user is None or user.name != name:
        abort(404)
    return user


def _account_page(
    user: User, errors: dict[str, list[str]] | None = None, notice: str = "", status: int = 200
) -> Response:
    return page(
        "studio/account.html",
        status,
        w=_words(),
        user=user,
        roles=_role_names(),
        errors=errors or {},
        notice=notice,
        min_password=MIN_PASSWORD,
        mine=user.name == account().name,
    )


@bp.get("/comptes/<name>/")
@require(Permission.MANAGE_USERS)
def manage_account(name: str) -> Response:
    user = _user_or_404(name)
    w = _words()
    done = request.args.get("fait", "")
    notices: dict[str, Any] = {
        "role": w["role_changed"].format(name=user.name, role=dict(_role_names())[user.role.value]),
        "same": w["role_same"],
        "password": w["password_changed"].format(name=user.name),
    }
    return _account_page(user, notice=notices.get(done, ""))


@bp.post("/comptes/<name>/")
@require(Permission.MANAGE_USERS)
def change_account(name: str) -> Response:
    user = _user_or_404(name)
    w = _words()
    form = request.form
    action = form.get("action", "")
    root = current_app.config["ROOT"]
    mine = user.name == account().name
    if action == "role":
        try:
            role = Role(form.get("role", ""))
        except ValueError:
            abort(400)
        if role is user.role:
            return redirect(url_for("studio.manage_account", name=user.name, fait="same"))  # type: ignore[return-value]
        if mine and user.role is Role.ADMIN:
            return _account_page(user, {"role": [w["not_yourself"]]}, status=409)
        try:
            set_role(root, user.name, role)
        except AccountError:
            return _account_page(user, {"role": [w["last_admin"]]}, status=409)
        _log("user-role", user.name, role.value)
        return redirect(url_for("studio.manage_account", name=user.name, fait="role"))  # type: ignore[return-value]
    if action == "password":
        first, second = form.get("password", "")[:MAX_FIELD], form.get("password2", "")[:MAX_FIELD]
        problems = _password_errors(first, second, w)
        if problems:
            return _account_page(user, {"password": problems}, status=422)
        changed = set_password(root, user.name, first)
        if mine:
            login_user(Account(changed))  # a new password ends other sessions, not the one that set it
        _log("user-password", user.name)
        return redirect(url_for("studio.manage_account", name=user.name, fait="password"))  # type: ignore[return-value]
    if action == "remove":
        if form.get("confirm") != "yes":
            return _account_page(user, {"remove": [w["not_confirmed"]]}, status=422)
        if mine:
            return _account_page(user, {"remove": [w["not_yourself"]]}, status=409)
        try:
            remove_user(root, user.name, keep_an_admin=True)
        except AccountError:
            return _account_page(user, {"remove": [w["last_admin"]]}, status=409)
        _log("user-removed", user.name)
        return redirect(url_for("studio.accounts", fait="removed", nom=user.name))  # type: ignore[return-value]
    abort(400)
