"""Number types of commands and scoring settings: true numbers only.

pydantic's default would take ``True`` as the number 1; these take ints and floats (a JSON
number) and refuse booleans and numeric strings.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

Number = Annotated[float, Strict()]
"""A float field that refuses booleans and strings (ints are taken as floats)."""

WholeNumber = Annotated[int, Strict()]
"""An int field that refuses booleans, floats and strings."""
