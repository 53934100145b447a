"""Tree-sitter queries that find definitions and comments, one list of patterns per language.

Captures: `@definition.<kind>` on the whole definition, `@name` on its name, `@comment` on a
comment or docstring. Each pattern is compiled on its own so that one pattern a grammar version
does not know cannot take the others down (tests check that every pattern compiles).
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

# What the index records a definition as: the `@definition.<kind>` captures below, and the kinds
# the block parsers of config formats (blocks.py) give.
DefinitionKind = Literal[
    "function", "method", "class", "interface", "type", "enum", "struct", "trait", "impl", "module", "namespace",
    "field", "variable", "constant", "macro", "key", "table",
    "block", "setting", "section", "stage", "instruction", "target",
]
DEFINITION_KINDS: frozenset[str] = frozenset(get_args(DefinitionKind))


def is_definition_kind(kind: str) -> TypeGuard[DefinitionKind]:
    return kind in DEFINITION_KINDS

_JS_COMMON = [
    "(function_declaration name: (identifier) @name) @definition.function",
    "(generator_function_declaration name: (identifier) @name) @definition.function",
    "(method_definition name: (_) @name) @definition.method",
    "(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function",
    "(variable_declarator name: (identifier) @name) @definition.variable",
    "(pair key: (property_identifier) @name value: [(function_expression) (arrow_function)]) @definition.function",
    "(assignment_expression left: (member_expression property: (property_identifier) @name)"
    " right: [(function_expression) (arrow_function) (class)]) @definition.function",
    "(comment) @comment",
]

_TS_COMMON = _JS_COMMON + [
    "(class_declaration name: (type_identifier) @name) @definition.class",
    "(abstract_class_declaration name: (type_identifier) @name) @definition.class",
    "(interface_declaration name: (type_identifier) @name) @definition.interface",
    "(type_alias_declaration name: (type_identifier) @name) @definition.type",
    "(enum_declaration name: (identifier) @name) @definition.enum",
    "(method_signature name: (_) @name) @definition.method",
    "(public_field_definition name: (_) @name) @definition.field",
    "(function_signature name: (identifier) @name) @definition.function",
    "(module name: (_) @name) @definition.module",
]

_C_COMMON = [
    "(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function",
    "(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))"
    " @definition.function",
    "(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct",
    "(union_specifier name: (type_identifier) @name body: (_)) @definition.struct",
    "(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum",
    "(type_definition declarator: (type_identifier) @name) @definition.type",
    "(preproc_def name: (identifier) @name) @definition.macro",
    "(preproc_function_def name: (identifier) @name) @definition.macro",
    "(translation_unit (declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.variable)",
    "(comment) @comment",
]

PATTERNS: dict[str, list[str]] = {
    "python": [
        "(function_definition name: (identifier) @name) @definition.function",
        "(class_definition name: (identifier) @name) @definition.class",
        "(module (expression_statement (assignment left: (identifier) @name)) @definition.variable)",
        "(class_definition body: (block (expression_statement (assignment left: (identifier) @name)) @definition.field))",
        "(comment) @comment",
        "(module . (expression_statement (string)) @comment)",
        "(block . (expression_statement (string)) @comment)",
    ],
    "javascript": _JS_COMMON + ["(class_declaration name: (identifier) @name) @definition.class"],
    "typescript": _TS_COMMON,
    "tsx": _TS_COMMON,
    "go": [
        "(function_declaration name: (identifier) @name) @definition.function",
        "(method_declaration name: (field_identifier) @name) @definition.method",
        "(type_spec name: (type_identifier) @name) @definition.type",
        "(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))",
        "(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))",
        "(comment) @comment",
    ],
    "rust": [
        "(function_item name: (identifier) @name) @definition.function",
        "(function_signature_item name: (identifier) @name) @definition.function",
        "(struct_item name: (type_identifier) @name) @definition.struct",
        "(enum_item name: (type_identifier) @name) @definition.enum",
        "(union_item name: (type_identifier) @name) @definition.struct",
        "(trait_item name: (type_identifier) @name) @definition.trait",
        "(impl_item type: (_) @name) @definition.impl",
        "(mod_item name: (identifier) @name) @definition.module",
        "(const_item name: (identifier) @name) @definition.constant",
        "(static_item name: (identifier) @name) @definition.constant",
        "(type_item name: (type_identifier) @name) @definition.type",
        "(macro_definition name: (identifier) @name) @definition.macro",
        "(line_comment) @comment",
        "(block_comment) @comment",
    ],
    "java": [
        "(class_declaration name: (identifier) @name) @definition.class",
        "(interface_declaration name: (identifier) @name) @definition.interface",
        "(enum_declaration name: (identifier) @name) @definition.enum",
        "(record_declaration name: (identifier) @name) @definition.class",
        "(method_declaration name: (identifier) @name) @definition.method",
        "(constructor_declaration name: (identifier) @name) @definition.method",
        "(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field",
        "(line_comment) @comment",
        "(block_comment) @comment",
    ],
    "c": _C_COMMON,
    "cpp": _C_COMMON + [
        "(function_definition declarator: (function_declarator declarator: [(field_identifier) (qualified_identifier)"
        " (destructor_name) (operator_name)] @name)) @definition.function",
        "(class_specifier name: (type_identifier) @name body: (_)) @definition.class",
        "(namespace_definition name: (_) @name) @definition.namespace",
    ],
    "bash": [
        "(function_definition name: (word) @name) @definition.function",
        "(program (variable_assignment name: (variable_name) @name) @definition.variable)",
        "(program (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)",
        "(comment) @comment",
    ],
    "yaml": [
        "(block_mapping_pair key: (_) @name) @definition.key",
        "(comment) @comment",
    ],
    "json": [
        "(pair key: (string) @name) @definition.key",
    ],
    "toml": [
        "(table [(bare_key) (dotted_key) (quoted_key)] @name) @definition.table",
        "(table_array_element [(bare_key) (dotted_key) (quoted_key)] @name) @definition.table",
        "(pair [(bare_key) (dotted_key) (quoted_key)] @name) @definition.key",
        "(comment) @comment",
    ],
}

# Definitions that are only kept outside functions (module and class level), to stay compact.
OUTSIDE_FUNCTIONS_ONLY: frozenset[DefinitionKind] = frozenset({"variable", "field", "constant", "key"})
