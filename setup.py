"""Finds kb's packages itself (pyproject.toml holds everything else): every package under kb/, the data
folders of the pages among them, and ``kb._schema``, which pyproject.toml maps to schema/."""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["kb", "kb.*"], exclude=["*__pycache__*"]), "kb._schema"])
