"""Apple Podcasts' categories: the list a show's ``categories`` must come from."""

from __future__ import annotations

from collections.abc import Iterable

from podcaster.models import Category

__all__ = ["APPLE_CATEGORIES", "category_problems"]

# Apple Podcasts' categories and their subcategories (the list Apple has used
# since 2019); names are case-sensitive.
APPLE_CATEGORIES: dict[str, frozenset[str]] = {
    "Arts": frozenset({"Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"}),
    "Business": frozenset(
        {"Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"}
    ),
    "Comedy": frozenset({"Comedy Interviews", "Improv", "Stand-Up"}),
    "Education": frozenset({"Courses", "How To", "Language Learning", "Self-Improvement"}),
    "Fiction": frozenset({"Comedy Fiction", "Drama", "Science Fiction"}),
    "Government": frozenset(),
    "History": frozenset(),
    "Health & Fitness": frozenset(
        {"Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"}
    ),
    "Kids & Family": frozenset({"Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"}),
    "Leisure": frozenset(
        {
            "Animation & Manga",
            "Automotive",
            "Aviation",
            "Crafts",
            "Games",
            "Hobbies",
            "Home & Garden",
            "Video Games",
        }
    ),
    "Music": frozenset({"Music Commentary", "Music History", "Music Interviews"}),
    "News": frozenset(
        {
            "Business News",
            "Daily News",
            "Entertainment News",
            "News Commentary",
            "Politics",
            "Sports News",
            "Tech News",
        }
    ),
    "Religion & Spirituality": frozenset(
        {"Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"}
    ),
    "Science": frozenset(
        {
            "Astronomy",
            "Chemistry",
            "Earth Sciences",
            "Life Sciences",
            "Mathematics",
            "Natural Sciences",
            "Nature",
            "Physics",
            "Social Sciences",
        }
    ),
    "Society & Culture": frozenset(
        {"Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"}
    ),
    "Sports": frozenset(
        {
            "Baseball",
            "Basketball",
            "Cricket",
            "Fantasy Sports",
            "Football",
            "Golf",
            "Hockey",
            "Rugby",
            "Running",
            "Soccer",
            "Swimming",
            "Tennis",
            "Volleyball",
            "Wilderness",
            "Wrestling",
        }
    ),
    "Technology": frozenset(),
    "True Crime": frozenset(),
    "TV & Film": frozenset({"After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"}),
}


def category_problems(categories: Iterable[Category]) -> list[str]:
    """Say what is wrong with each category that Apple Podcasts does not list."""
    problems = []
    for category in categories:
        subcategories = APPLE_CATEGORIES.get(category.name)
        if subcategories is None:
            problems.append(
                f"unknown Apple Podcasts category {category.name!r} (categories are case-sensitive: "
                f"one of {', '.join(sorted(APPLE_CATEGORIES))})"
            )
        elif category.subcategory is not None and category.subcategory not in subcategories:
            known = ", ".join(sorted(subcategories)) or "none"
            problems.append(
                f"unknown subcategory {category.subcategory!r} of Apple Podcasts category "
                f"{category.name!r} (known: {known})"
            )
    return problems
