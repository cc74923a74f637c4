"""Publishing's parts: the plan made from one listing of the storage, and the sending of it.

:func:`podcaster.actions.publish` puts them together, in the order that keeps
every published feed pointing at whole files: media, verified, then feeds, last.
"""
