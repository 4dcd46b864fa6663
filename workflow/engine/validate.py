"""Definition text to a :class:`~workflow.engine.definition.Definition`, or one
``file:line: field`` error naming what is wrong (format errors and the checks across parts).
"""

from __future__ import annotations

from pydantic import ValidationError

from workflow.engine.definition import Definition
from workflow.engine.problems import field_label, validation_problem
from workflow.engine.semantics import check_semantics
from workflow.engine.spec import DefinitionSpec
from workflow.engine.yamlsource import line_for, load_with_lines
from workflow.errors import DefinitionError
from workflow.i18n import _


def parse(text: str, source: str = "<definition>") -> Definition:
    """Validate definition ``text``; raise :class:`DefinitionError` naming file:line: field."""
    data, lines = load_with_lines(text, source)
    if not isinstance(data, dict):
        raise DefinitionError(source, 1, "", _("expected a mapping at the top level"))
    try:
        spec = DefinitionSpec.model_validate(data)
    except ValidationError as exc:
        loc, msg = validation_problem(exc, data)
        raise DefinitionError(source, line_for(lines, loc), field_label(data, loc), msg) from None
    return check_semantics(spec, data, lines, source, text)


#: pydantic's error types as a sentence in the user's language (``ctx`` fills the fields).
