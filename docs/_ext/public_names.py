"""A Sphinx extension that links the names in docstrings and signatures to their public place.

Classes live in private modules (``fakeserver._journal.records``) and are
documented where users import them (``fakeserver.RecordedRequest``; autodoc
records the private path as an alias), and docstrings name them briefly
(``:class:`StubApp```, ``Stub.respond``). When Python's own lookup finds no
target, this one looks for the documented object whose full name ends with
the longest tail of the target, and links to it if exactly one does. A name that is still not found stays a warning
(an error under ``-W -n``): nothing is silenced.
"""

from __future__ import annotations

from typing import Any

from sphinx.util.nodes import make_refnode


def resolve(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a ``py`` reference Sphinx could not, or return None to let it warn."""
    if node.get("refdomain") != "py":
        return None
    objects = env.get_domain("py").objects
    parts = node["reftarget"].split(".")
    for start in range(len(parts)):
        tail = ".".join(parts[start:])
        found = [name for name, entry in objects.items()
                 if not entry.aliased and (name == tail or name.endswith("." + tail))]
        if len(found) == 1:
            entry = objects[found[0]]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                                contnode, found[0])
        if found:
            return None  # ambiguous: let Sphinx warn rather than guess
    return None


def setup(app: Any) -> dict[str, Any]:
    app.connect("missing-reference", resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
