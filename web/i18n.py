"""Interface text in French (the default) and English, and dates and durations written out by hand.

Month names are written here rather than taken from the system locale: the
server's locale is unknown and often ``C``, and the site must say
« 25 janvier 2023 » everywhere.
"""

from __future__ import annotations

from datetime import datetime

MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "skip": "Aller au contenu",
        "home": "Accueil",
        "episodes": "Épisodes",
        "subscribe": "S’abonner",
        "subscribe_intro": "Abonnez-vous dans votre application de podcast, ou copiez l’adresse du flux RSS.",
        "rss_feed": "Flux RSS",
        "rss_address": "Adresse du flux RSS",
        "copy_action": "Copier",
        "copied": "Copié",
        "copy_failed": "Sélectionnez le texte puis copiez-le",
        "season": "Saison",
        "episode": "Épisode",
        "trailer": "Bande-annonce",
        "bonus": "Bonus",
        "season_feed": "Flux RSS de cette saison",
        "no_episode_yet": "Les épisodes de cette saison arrivent bientôt.",
        "all_seasons": "Toutes les saisons",
        "listen": "Écouter",
        "player": "Lecteur audio",
        "no_audio_support": "Votre navigateur ne lit pas l’audio intégré :",
        "download": "Télécharger l’épisode",
        "download_short": "Télécharger",
        "chapters": "Chapitres",
        "chapter_at": "à",
        "notes": "Notes de l’épisode",
        "guests": "Avec",
        "transcript": "Transcription",
        "transcript_link": "Lire la transcription",
        "share": "Partager",
        "share_email": "Par e-mail",
        "copy_link": "Copier le lien",
        "embed": "Intégrer ce lecteur",
        "embed_help": "Copiez ce code HTML dans votre site pour y intégrer le lecteur de l’épisode.",
        "embed_code": "Code d’intégration",
        "previous": "Épisode précédent",
        "next": "Épisode suivant",
        "published": "Publié le",
        "duration": "Durée",
        "artwork_alt": "Visuel du podcast {title}",
        "episode_artwork_alt": "Visuel de l’épisode {title}",
        "season_artwork_alt": "Visuel de la {name}",
        "breadcrumb": "Fil d’Ariane",
        "main_nav": "Navigation principale",
        "open_site": "Ouvrir sur le site",
        "more_episodes": "Tous les épisodes",
        "speed": "Vitesse",
        "back_15": "Reculer de 15 secondes",
        "forward_30": "Avancer de 30 secondes",
        "powered_by": "Publié avec podcaster",
        "support": "Soutenir",
        "not_found_title": "Page introuvable",
        "not_found_text": "Cette page n’existe pas, ou pas encore : un épisode programmé n’apparaît qu’à sa date de publication.",
        "back_home": "Revenir à l’accueil",
        "error_title": "Une erreur est survenue",
        "error_text": "Le site ne peut pas répondre pour le moment. Réessayez dans quelques instants.",
        "method_title": "Méthode non autorisée",
        "method_text": "Cette adresse ne répond pas à cette méthode.",
        "bad_request_title": "Requête invalide",
        "bad_request_text": "La requête n’a pas pu être comprise.",
        "episode_count_one": "1 épisode",
        "episode_count_many": "{count} épisodes",
        "hosts": "Animation",
        "listen_on": "Écouter sur",
        "open_in_app": "Ouvrir dans mon application",
        "open_in_app_help": "Sur un téléphone, ce lien propose le podcast à l’application de podcast installée.",
        "listen_to": "Écouter : {title}",
        "now_playing": "En cours de lecture",
        "skip_transcript": "Passer la transcription",
        "transcript_filter": "Chercher dans la transcription",
        "transcript_matches": "{count} passages sur {total}",
        "transcript_match_one": "1 passage sur {total}",
        "transcript_no_match": "Aucun passage ne contient ce texte",
        "latest": "Écouter le dernier épisode",
        "from_start": "Commencer par le premier",
    },
    "en": {
        "skip": "Skip to content",
        "home": "Home",
        "episodes": "Episodes",
        "subscribe": "Subscribe",
        "subscribe_intro": "Subscribe in your podcast app, or copy the RSS feed address.",
        "rss_feed": "RSS feed",
        "rss_address": "RSS feed address",
        "copy_action": "Copy",
        "copied": "Copied",
        "copy_failed": "Select the text, then copy it",
        "season": "Season",
        "episode": "Episode",
        "trailer": "Trailer",
        "bonus": "Bonus",
        "season_feed": "RSS feed of this season",
        "no_episode_yet": "Episodes of this season are coming soon.",
        "all_seasons": "All seasons",
        "listen": "Listen",
        "player": "Audio player",
        "no_audio_support": "Your browser cannot play embedded audio:",
        "download": "Download the episode",
        "download_short": "Download",
        "chapters": "Chapters",
        "chapter_at": "at",
        "notes": "Show notes",
        "guests": "With",
        "transcript": "Transcript",
        "transcript_link": "Read the transcript",
        "share": "Share",
        "share_email": "By e-mail",
        "copy_link": "Copy the link",
        "embed": "Embed this player",
        "embed_help": "Paste this HTML into your site to embed the episode’s player.",
        "embed_code": "Embed code",
        "previous": "Previous episode",
        "next": "Next episode",
        "published": "Published",
        "duration": "Duration",
        "artwork_alt": "Artwork of the podcast {title}",
        "episode_artwork_alt": "Artwork of the episode {title}",
        "season_artwork_alt": "Artwork of {name}",
        "breadcrumb": "Breadcrumb",
        "main_nav": "Main navigation",
        "open_site": "Open on the site",
        "more_episodes": "All episodes",
        "speed": "Speed",
        "back_15": "Back 15 seconds",
        "forward_30": "Forward 30 seconds",
        "powered_by": "Published with podcaster",
        "support": "Support",
        "not_found_title": "Page not found",
        "not_found_text": "This page does not exist, or not yet: a scheduled episode appears on its publication date.",
        "back_home": "Back to the home page",
        "error_title": "Something went wrong",
        "error_text": "The site cannot answer right now. Please try again in a moment.",
        "method_title": "Method not allowed",
        "method_text": "This address does not answer this method.",
        "bad_request_title": "Bad request",
        "bad_request_text": "The request could not be understood.",
        "episode_count_one": "1 episode",
        "episode_count_many": "{count} episodes",
        "hosts": "Hosted by",
        "listen_on": "Listen on",
        "open_in_app": "Open in my app",
        "open_in_app_help": "On a phone, this link offers the podcast to the podcast app installed.",
        "listen_to": "Listen: {title}",
        "now_playing": "Now playing",
        "skip_transcript": "Skip the transcript",
        "transcript_filter": "Search the transcript",
        "transcript_matches": "{count} passages of {total}",
        "transcript_match_one": "1 passage of {total}",
        "transcript_no_match": "No passage contains this text",
        "latest": "Listen to the latest episode",
        "from_start": "Start from the first",
    },
}

# The names listeners know the directories by, in the order they are shown.
DIRECTORIES = {
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "deezer": "Deezer",
    "amazon": "Amazon Music",
    "youtubemusic": "YouTube Music",
    "pocketcasts": "Pocket Casts",
    "antennapod": "AntennaPod",
    "overcast": "Overcast",
    "podcastaddict": "Podcast Addict",
    "podcastindex": "Podcast Index",
    "youtube": "YouTube",
}


# Podcasting 2.0 person roles (lower-case in the taxonomy) as credits say them.
ROLES = {
    "fr": {
        "host": "Animation",
        "co-host": "Co-animation",
        "guest": "Invité·e",
        "producer": "Production",
        "executive producer": "Production exécutive",
        "editor": "Montage",
        "composer": "Musique",
        "sound designer": "Conception sonore",
        "writer": "Écriture",
        "director": "Réalisation",
        "audio engineer": "Prise de son",
        "cover art designer": "Illustration",
    },
    "en": {
        "host": "Host",
        "co-host": "Co-host",
        "guest": "Guest",
        "producer": "Producer",
        "executive producer": "Executive producer",
        "editor": "Editor",
        "composer": "Music",
        "sound designer": "Sound design",
        "writer": "Writer",
        "director": "Director",
        "audio engineer": "Sound",
        "cover art designer": "Illustration",
    },
}


def role_label(role: str, language: str) -> str:
    """How the credits name a role: « Animation » for host; unknown roles as written, capitalised."""
    known = ROLES[interface_language(language)]
    return known.get(role.lower(), role[:1].upper() + role[1:])


def interface_language(show_language: str) -> str:
    """``en`` for an English show, else ``fr``: the site speaks French unless told otherwise."""
    return "en" if show_language.lower().startswith("en") else "fr"


def strings(language: str) -> dict[str, str]:
    return STRINGS[interface_language(language)]


def long_date(moment: datetime, language: str) -> str:
    """« 25 janvier 2023 », « 1er mars 2023 »; "25 January 2023" in English."""
    language = interface_language(language)
    month = MONTHS[language][moment.month - 1]
    day = "1er" if language == "fr" and moment.day == 1 else str(moment.day)
    return f"{day} {month} {moment.year}"


def duration_text(seconds: float, language: str) -> str:
    """« 35 min », « 1 h 05 », « 45 s »: how long an episode lasts, to the minute."""
    language = interface_language(language)
    total = int(seconds + 0.5)
    if total < 60:
        return f"{total} s"
    minutes = (total + 30) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if language == "fr":
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def size_text(size: int, language: str) -> str:
    """« 32 Mo », « 240 ko » (French uses octets); "32 MB" in English."""
    french = interface_language(language) == "fr"
    if size >= 1_000_000:
        value = f"{size / 1_000_000:.1f}".rstrip("0").rstrip(".")
        value = value.replace(".", ",") if french else value
        return f"{value} {'Mo' if french else 'MB'}"
    return f"{max(1, round(size / 1000))} {'ko' if french else 'kB'}"


def clock_time(seconds: float) -> str:
    """A position in the audio: ``4:05``, ``1:02:03``."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration for schema.org: ``PT35M12S``."""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if secs or text == "PT":
        text += f"{secs}S"
    return text
