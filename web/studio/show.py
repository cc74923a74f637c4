"""``/studio/emission/``: admins edit the show's settings, written to ``podcast.toml`` by the library.

The form carries the file's version: a save after someone else's (another
admin, the CLI, a ``git pull``) is refused and both texts are shown, as for
episodes. Errors come from the rules ``podcaster check`` uses and are shown
beside their field; the save is in the activity log and, in a git
repository, a commit by the producer.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, request, url_for

from podcaster.studio import (
    Activity,
    NewArtwork,
    Outcome,
    Permission,
    ShowSettings,
    ShowText,
    category_choices,
    read_show_settings,
    record_activity,
    save_show_settings,
)

from ..i18n import interface_language
from .blueprint import account, bp, language, page, require
from .history import commit

MAX_FIELD = 10_000  # far over what the library accepts (it says so); a bound on what a form can cost
CATEGORY_SLOTS = 3
WORDS = {
    "fr": {
        "title": "Réglages de l’émission",
        "intro": "Ce que les applications de podcast et l’annuaire d’Apple affichent de l’émission. "
        "Enregistré dans podcast.toml, vérifié comme le fait « podcaster check ».",
        "field_title": "Titre de l’émission",
        "field_description": "Description",
        "field_description_help": "4 000 octets au plus (la limite d’Apple). Texte simple.",
        "field_author": "Autrice ou auteur (affiché dans les applications)",
        "owner": "Propriétaire (pour Apple, jamais affiché)",
        "field_owner_name": "Nom",
        "field_owner_email": "Adresse e-mail",
        "field_language": "Langue",
        "field_language_help": "Un code de langue : fr, en, fr-BE…",
        "categories": "Catégories Apple Podcasts",
        "categories_help": "La première est la catégorie principale.",
        "category_1": "Catégorie principale",
        "category_2": "Deuxième catégorie",
        "category_3": "Troisième catégorie",
        "category_n": "Catégorie {n}",
        "no_category": "Aucune",
        "field_explicit": "Contenu explicite",
        "explicit_yes": "Oui",
        "explicit_no": "Non",
        "urls": "Adresses",
        "field_feed": "Adresse du flux RSS",
        "field_feed_help": "http ou https ; Apple exige https.",
        "field_site": "Adresse du site",
        "field_site_help": "Laissez vide pour la déduire de l’adresse du flux.",
        "artwork": "Pochette",
        "artwork_current": "Pochette actuelle : {name}",
        "artwork_none": "Aucune pochette pour le moment.",
        "field_artwork": "Nouvelle pochette (facultatif)",
        "field_artwork_help": "JPEG ou PNG carré, de 1400 à 3000 pixels de côté.",
        "save": "Enregistrer les réglages",
        "saved": "Réglages enregistrés.",
        "unchanged": "Rien n’a changé : podcast.toml n’a pas été réécrit.",
        "invalid": "Les réglages n’ont pas été enregistrés : corrigez les erreurs signalées.",
        "conflict": "podcast.toml a été modifié par quelqu’un d’autre depuis l’ouverture de ce formulaire. "
        "Rien n’a été enregistré. Comparez les deux versions, puis reprenez vos modifications.",
        "conflict_current": "podcast.toml tel qu’il est maintenant",
        "conflict_yours": "Votre version (non enregistrée)",
    },
    "en": {
        "title": "Show settings",
        "intro": "What podcast apps and Apple's directory show of the show. Saved in podcast.toml, "
        "checked as “podcaster check” does.",
        "field_title": "Show title",
        "field_description": "Description",
        "field_description_help": "At most 4,000 bytes (Apple's limit). Plain text.",
        "field_author": "Author (shown in apps)",
        "owner": "Owner (for Apple, never shown)",
        "field_owner_name": "Name",
        "field_owner_email": "E-mail address",
        "field_language": "Language",
        "field_language_help": "A language code: fr, en, en-GB…",
        "categories": "Apple Podcasts categories",
        "categories_help": "The first one is the main category.",
        "category_1": "Main category",
        "category_2": "Second category",
        "category_3": "Third category",
        "category_n": "Category {n}",
        "no_category": "None",
        "field_explicit": "Explicit content",
        "explicit_yes": "Yes",
        "explicit_no": "No",
        "urls": "Addresses",
        "field_feed": "RSS feed address",
        "field_feed_help": "http or https; Apple requires https.",
        "field_site": "Website address",
        "field_site_help": "Leave empty to derive it from the feed's address.",
        "artwork": "Cover",
        "artwork_current": "Current cover: {name}",
        "artwork_none": "No cover yet.",
        "field_artwork": "New cover (optional)",
        "field_artwork_help": "A square JPEG or PNG, 1400 to 3000 pixels a side.",
        "save": "Save the settings",
        "saved": "Settings saved.",
        "unchanged": "Nothing changed: podcast.toml was not rewritten.",
        "invalid": "The settings were not saved: fix the errors shown.",
        "conflict": "Someone else changed podcast.toml since this form was opened. Nothing was saved. "
        "Compare both versions, then make your changes again.",
        "conflict_current": "podcast.toml as it is now",
        "conflict_yours": "Your version (not saved)",
    },
}


def _values(settings: ShowSettings) -> dict[str, object]:
    slots = max(CATEGORY_SLOTS, len(settings.categories))
    return {
        "title": settings.title,
        "description": settings.description,
        "author": settings.author,
        "owner_name": settings.owner_name,
        "owner_email": settings.owner_email,
        "language": settings.language,
        "categories": [*settings.categories, *[""] * (slots - len(settings.categories))],
        "explicit": "yes" if settings.explicit else "no",
        "site": settings.site,
        "feed": settings.feed,
    }


def _form(
    current: ShowText,
    values: dict[str, object],
    *,
    errors: dict[str, list[str]] | None = None,
    conflict: tuple[str, str] | None = None,
    version: str | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    choices = category_choices()
    known = {value for _, group in choices for value in group}
    return page(
        "studio/show.html",
        status,
        w=WORDS[interface_language(language())],
        values=values,
        artwork=current.settings.artwork,
        errors=errors or {},
        conflict=conflict,
        version=version or current.version,
        notice=notice,
        choices=choices,
        known=known,
    )


@bp.get("/emission/")
@require(Permission.EDIT_SHOW)
def show_settings() -> Response:
    current = read_show_settings(current_app.config["ROOT"])
    w = WORDS[interface_language(language())]
    done = request.args.get("fait", "")
    return _form(current, _values(current.settings), notice=w[done] if done in ("saved", "unchanged") else "")


@bp.post("/emission/")
@require(Permission.EDIT_SHOW)
def save_show() -> Response:
    root = current_app.config["ROOT"]
    form = request.form
    explicit = form.get("explicit", "no")
    if explicit not in ("yes", "no"):
        abort(400)
    categories = [value[:MAX_FIELD] for value in form.getlist("category")[:10]]
    values: dict[str, object] = {
        name: form.get(name, "")[:MAX_FIELD]
        for name in (
            "title",
            "description",
            "author",
            "owner_name",
            "owner_email",
            "language",
            "site",
            "feed",
        )
    }
    values.update(categories=categories + [""] * max(0, CATEGORY_SLOTS - len(categories)), explicit=explicit)
    current = read_show_settings(root)
    changes = ShowSettings(
        **{name: str(values[name]) for name in values if name not in ("categories", "explicit")},
        categories=tuple(categories),
        explicit=explicit == "yes",
        artwork=current.settings.artwork,
    )
    upload = request.files.get("artwork")
    artwork = NewArtwork(upload.filename or "", upload.stream) if upload and upload.filename else None
    result = save_show_settings(
        root, changes, form.get("version", ""), current_app.config["CLOCK"](), artwork
    )
    if result.outcome is Outcome.CONFLICT:
        assert result.current is not None
        return _form(
            result.current,
            values,
            conflict=(result.current.text, result.proposed),
            version=result.current.version,
            status=409,
        )
    if result.outcome is Outcome.INVALID:
        return _form(current, values, errors=result.errors, version=form.get("version", ""), status=422)
    if result.outcome is Outcome.SAVED:
        now = current_app.config["CLOCK"]()
        record_activity(root, Activity(now, account().name, "show-saved", ""))
        commit(result.paths, "podcast.toml: show settings changed in the studio")
    return redirect(url_for("studio.show_settings", fait=result.outcome.value))  # type: ignore[return-value]
