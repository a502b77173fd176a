"""The material-prior table (material_priors.json): density, friction, restitution, structure."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.errors import ConfigError

PRIORS_FILE = "material_priors.json"
_NON_WORD = re.compile(r"[^a-z0-9]+")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MaterialPrior(_Frozen):
    """Physical constants of one material (friction against a dry wooden/laminate surface)."""

    density_kg_m3: float = Field(gt=0, description="solid material density")
    static_friction: float = Field(ge=0, le=2)
    dynamic_friction: float = Field(ge=0, le=2)
    restitution: float = Field(ge=0, le=1)
    sources: tuple[str, ...] = Field(min_length=1, description="ids in docs/MATERIAL_PRIORS.md")

    @model_validator(mode="after")
    def _friction_order(self) -> MaterialPrior:
        if self.dynamic_friction > self.static_friction:
            raise ValueError("dynamic_friction must be <= static_friction")
        return self


class Structure(StrEnum):
    """How a category's mass follows from its mesh."""

    SOLID = "solid"  # material density x enclosed volume
    SHELL = "shell"  # thin walls: material density x min(volume, area x wall thickness)
    BULK = "bulk"  # a measured whole-object density (filled containers) x enclosed volume


class CategoryPrior(_Frozen):
    """What a category is made of and how its mass is modelled."""

    material: str
    structure: Structure
    wall_thickness_m: float | None = Field(default=None, gt=0, le=0.2)
    bulk_density_kg_m3: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _parameters_match_structure(self) -> CategoryPrior:
        shell = self.structure is Structure.SHELL
        bulk = self.structure is Structure.BULK
        if shell != (self.wall_thickness_m is not None):
            raise ValueError("wall_thickness_m is required for, and only for, shell categories")
        if bulk != (self.bulk_density_kg_m3 is not None):
            raise ValueError("bulk_density_kg_m3 is required for, and only for, bulk categories")
        return self


@dataclass(frozen=True)
class ResolvedPrior:
    """The prior an object gets: its category entry and the material it is made of."""

    category: str
    material_name: str
    material: MaterialPrior
    shape: CategoryPrior


class PriorTable(_Frozen):
    """The whole table, validated on construction (every reference resolves)."""

    schema_version: Literal[1]
    description: str
    min_bulk_density_kg_m3: float = Field(gt=0)
    max_bulk_density_kg_m3: float = Field(gt=0)
    default_category: str
    materials: dict[str, MaterialPrior]
    categories: dict[str, CategoryPrior]
    aliases: dict[str, str]

    @model_validator(mode="after")
    def _references(self) -> PriorTable:
        problems = [
            f"category {name}: unknown material {entry.material}"
            for name, entry in self.categories.items()
            if entry.material not in self.materials
        ]
        problems += [
            f"alias {alias}: unknown category {target}"
            for alias, target in self.aliases.items()
            if target not in self.categories
        ]
        if self.default_category not in self.categories:
            problems.append(f"default_category {self.default_category} is not a category")
        if self.min_bulk_density_kg_m3 >= self.max_bulk_density_kg_m3:
            problems.append("min_bulk_density_kg_m3 must be < max_bulk_density_kg_m3")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def category_key(self, category: str, label: str | None = None) -> str:
        """The table entry an object maps to.

        A label that names an entry exactly or through an alias wins over the category, as
        it is more specific: the ingest files a milk carton under "box", but it weighs like
        a litre of milk, not like an empty cardboard box. Otherwise the category resolves
        by exact name, alias, last word, else `default_category`.

        Args:
            category: a manifest category such as "coffee mug" or "storage_bin".
            label: the object's semantic label (e.g. "milk carton"), if any.

        Returns:
            A key of `categories`.
        """
        if label:
            named = normalize_name(label)
            if named in self.categories:
                return named
            if named in self.aliases:
                return self.aliases[named]
        key = normalize_name(category)
        for candidate in (key, key.rsplit("_", 1)[-1]):
            if candidate in self.categories:
                return candidate
            if candidate in self.aliases:
                return self.aliases[candidate]
        return self.default_category

    def resolve(
        self, category: str, material: str | None = None, label: str | None = None
    ) -> ResolvedPrior:
        """The prior for an object, optionally made of another known material.

        Args:
            category: the object's category.
            material: a material name (e.g. from an LLM); unknown names are ignored.
            label: the object's semantic label (see `category_key`).

        Returns:
            The category entry with its (or the given) material.
        """
        key = self.category_key(category, label)
        shape = self.categories[key]
        wanted = normalize_name(material) if material else ""
        name = wanted if wanted in self.materials else shape.material
        return ResolvedPrior(key, name, self.materials[name], shape)


def normalize_name(name: str) -> str:
    """Lower-case words joined by underscores: "Coffee Mug" -> "coffee_mug"."""
    return _NON_WORD.sub("_", name.lower()).strip("_")


def load_prior_table(path: Path | None = None) -> PriorTable:
    """Read and validate a prior table (default: the one shipped with this package).

    Args:
        path: another table file (tests, experiments).

    Returns:
        The validated table.

    Raises:
        ConfigError: the file is not valid JSON or breaks the table's rules.
    """
    if path is None:
        return _packaged_table()
    return _parse(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def _packaged_table() -> PriorTable:
    text = resources.files("simready_job").joinpath(PRIORS_FILE).read_text(encoding="utf-8")
    return _parse(text, PRIORS_FILE)


def _parse(text: str, source: str) -> PriorTable:
    try:
        return PriorTable.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise ConfigError(source, f"{where}: {first['msg']}") from None
