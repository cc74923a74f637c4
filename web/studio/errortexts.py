"""The library's refusals that the studio words itself, by their code, French first; merged into :mod:`.texts`.

The library writes its messages in English, for the command line and the logs, and
gives the refusals a producer meets in the studio a code and the values they hold
(:class:`podcaster.errors.PodcasterError`'s *code*, or a :class:`podcaster.errors.Message`
among a form's problems). A refusal without a text here is shown as the library wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from podcaster.errors import Message, PodcasterError
from podcaster.studio import number

ERROR_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "numbers": "fr",  # how numbers are written: see podcaster.studio.number
        "error_upload_empty": "Le fichier est vide.",
        "error_upload_too_large": "Le fichier dépasse la limite de {limit} Mo.",
        "error_upload_unknown": "Cet envoi n’existe pas, ou plus : envoyez le fichier de nouveau.",
        "error_upload_offset": "L’envoi en est à l’octet {at} : il reprend à partir de là.",
        "error_upload_overflow": "Le fichier est plus long que l’envoi ne l’annonçait.",
        "error_upload_cut": "La connexion s’est interrompue après {received} octets : l’envoi reprend là où il "
        "s’était arrêté.",
        "error_upload_incomplete": "Le fichier n’est pas arrivé en entier ({received} octets sur {length}) : "
        "reprenez l’envoi.",
        "error_upload_not_audio": "« {name} » n’est pas un fichier audio que les applications de podcast savent "
        "lire : exportez l’épisode en MP3, M4A, Ogg, Opus ou FLAC.",
        "error_upload_busy": "Une autre requête écrit déjà dans cet envoi : il reprend dans un instant.",
        "error_upload_protocol": "La demande d’envoi ne dit pas la taille du fichier (Upload-Length).",
        "error_no_episode": "Aucun épisode ne s’appelle « {slug} ».",
        "error_title_too_long": "Le titre dépasse {limit} caractères.",
        "error_notes_too_long": "Les notes dépassent {limit} caractères.",
        "error_too_many_guests": "Pas plus de {limit} invité·es par épisode.",
        "error_field_too_long": "Un champ d’invité·e, de lieu ou de saison dépasse {limit} caractères.",
        "error_date_in_file": "La date écrite dans le fichier de l’épisode est illisible : corrigez-la dans le "
        "fichier.",
        "error_date_unreadable": "Date invalide : « {text} » n’est pas une date et une heure.",
        "error_date_with_offset": "Date invalide : donnez l’heure que montre l’horloge, sans décalage horaire.",
        "error_date_skipped": "Date invalide : {time} n’existe pas ce jour-là (on avance l’heure).",
        "error_missing": "Donnez un nom.",
        "error_not_web_url": "« {value} » n’est pas une adresse web : écrivez-la en entier, en commençant par "
        "https://.",
    },
    "en": {
        "numbers": "en",
        "error_upload_empty": "The file is empty.",
        "error_upload_too_large": "The file is over the limit of {limit} MB.",
        "error_upload_unknown": "This upload does not exist, or no longer: send the file again.",
        "error_upload_offset": "The upload is at byte {at}: it resumes from there.",
        "error_upload_overflow": "The file is longer than the upload said.",
        "error_upload_cut": "The connection dropped after {received} bytes: the upload resumes where it stopped.",
        "error_upload_incomplete": "The file did not arrive whole ({received} of {length} bytes): resume the "
        "upload.",
        "error_upload_not_audio": "“{name}” is not an audio file podcast apps can play: export the episode as "
        "MP3, M4A, Ogg, Opus or FLAC.",
        "error_upload_busy": "Another request is already writing this upload: it resumes in a moment.",
        "error_upload_protocol": "The upload request does not give the file’s size (Upload-Length).",
        "error_no_episode": "No episode is named “{slug}”.",
        "error_title_too_long": "The title is over {limit} characters.",
        "error_notes_too_long": "The notes are over {limit} characters.",
        "error_too_many_guests": "No more than {limit} guests per episode.",
        "error_field_too_long": "A guest, place or season field is over {limit} characters.",
        "error_date_in_file": "The date written in the episode’s file cannot be read: fix it in the file.",
        "error_date_unreadable": "Invalid date: “{text}” is not a date and time.",
        "error_date_with_offset": "Invalid date: give the time the clock shows, without an offset.",
        "error_date_skipped": "Invalid date: {time} does not exist on that day (the clocks go forward).",
        "error_missing": "Give a name.",
        "error_not_web_url": "“{value}” is not a web address: write it in full, starting with https://.",
    },
}


def say(error: PodcasterError, t: Mapping[str, str]) -> str:
    """*error* in the studio's language when its code has a text here, else its first message."""
    return messages(error, t)[0]


def messages(error: PodcasterError, t: Mapping[str, str]) -> list[str]:
    """Every message of *error*: one, in the studio's language, when its code has a text here."""
    said = _worded(error.code, error.values, t) if error.code else None
    return [said] if said is not None else [str(problem.message) for problem in error.problems]


def worded(errors: Mapping[str, list[str]], t: Mapping[str, str]) -> dict[str, list[str]]:
    """A form's problems by field, each :class:`Message` whose code has a text here in the studio's language."""
    return {
        field: [
            (_worded(message.code, message.values, t) if isinstance(message, Message) else None) or message
            for message in messages
        ]
        for field, messages in errors.items()
    }


def _worded(code: str, values: Mapping[str, object], t: Mapping[str, str]) -> str | None:
    template = t.get(f"error_{code}")
    if template is None:
        return None
    return template.format(**{name: _shown(value, t["numbers"]) for name, value in values.items()})


def _shown(value: object, language: str) -> object:
    # Numbers grouped as the language writes them: 1 048 576 in French, 1,048,576 in English.
    return number(value, language) if isinstance(value, int) and not isinstance(value, bool) else value
