"""`_native.pyi` must describe the compiled module exactly: the same functions, classes,
methods and properties, with the same parameter names and defaults. Fails on any drift."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import edgemodule
from edgemodule import _native

STUB = Path(edgemodule.__file__).with_name("_native.pyi")

Params = List[Tuple[str, Optional[str]]]


def stub_params(fn: ast.FunctionDef) -> Params:
    args = fn.args
    names = [a.arg for a in args.args]
    defaults = [None] * (len(names) - len(args.defaults)) + [ast.unparse(d) for d in args.defaults]
    params = list(zip(names, defaults))
    return [p for p in params if p[0] not in ("self", "cls")]


def runtime_params(obj) -> Params:
    signature = inspect.signature(obj)
    out: Params = []
    for p in signature.parameters.values():
        if p.name in ("self", "cls", "$self", "$cls"):
            continue
        out.append((p.name, None if p.default is inspect.Parameter.empty else repr(p.default)))
    return out


def parse_stub() -> Tuple[Dict[str, Params], Dict[str, Dict[str, object]]]:
    tree = ast.parse(STUB.read_text())
    functions: Dict[str, Params] = {}
    classes: Dict[str, Dict[str, object]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = stub_params(node)
        elif isinstance(node, ast.ClassDef):
            members: Dict[str, object] = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    decorators = {ast.unparse(d) for d in item.decorator_list}
                    members[item.name] = "property" if "property" in decorators else stub_params(item)
            classes[node.name] = members
    return functions, classes


def test_stub_matches_the_native_module():
    functions, classes = parse_stub()
    public = {n for n in dir(_native) if not n.startswith("_")}
    runtime_functions = {n for n in public if inspect.isbuiltin(getattr(_native, n))}
    runtime_classes = {n for n in public if inspect.isclass(getattr(_native, n))}
    assert set(functions) == runtime_functions
    assert set(classes) == runtime_classes
    for name, params in functions.items():
        assert runtime_params(getattr(_native, name)) == params, name
    for cname, members in classes.items():
        cls = getattr(_native, cname)
        runtime_members = {n for n in vars(cls) if not n.startswith("_")}
        stub_members = {n for n in members if not n.startswith("_")}
        assert stub_members == runtime_members, cname
        if "__new__" in members:
            assert runtime_params(cls) == members["__new__"], cname
        for mname in stub_members:
            raw = vars(cls)[mname]
            if members[mname] == "property":
                assert inspect.isdatadescriptor(raw) and not callable(raw), f"{cname}.{mname}"
            else:
                assert runtime_params(getattr(cls, mname)) == members[mname], f"{cname}.{mname}"


def test_the_checker_notices_drift(tmp_path, monkeypatch):
    """A stub with a renamed parameter must fail the check (the test is not vacuous)."""
    drifted = STUB.read_text().replace("def unsubscribe(self, registration: int)", "def unsubscribe(self, reg: int)")
    assert drifted != STUB.read_text()
    fake = tmp_path / "_native.pyi"
    fake.write_text(drifted)
    monkeypatch.setattr(__import__(__name__), "STUB", fake)
    try:
        test_stub_matches_the_native_module()
    except AssertionError:
        return
    raise AssertionError("a drifted stub passed the check")
