"""Report stages that check: the self-checking proofs and the validation campaign."""

from __future__ import annotations

from .._io import write_text
from ._context import Context, Partial

__all__ = ["stage_proofs", "stage_validation"]


def stage_proofs(ctx: Context) -> str:
    import importlib

    res = importlib.import_module("cogc_theory.proofs").run_all()
    pdir = ctx.out / "proofs"
    pdir.mkdir(exist_ok=True)
    write_text(pdir / "proofs.md", res.to_markdown())
    ctx.files.append(str(pdir / "proofs.md"))
    links = "[proofs.md](proofs/proofs.md)"
    ok = getattr(res, "passed", getattr(res, "ok", None))
    text = f"Self-checking derivations (`cogc prove`): {links}."
    if ok is False:
        raise Partial(text, "a proof's independent check failed")
    return text + (f"\n\n```\n{res}\n```\n" if res is not None and len(str(res)) < 4000 else "")


def stage_validation(ctx: Context) -> str:
    from ..validation import campaigns

    st = ctx.study
    res = campaigns.run_campaign(quick=st.validation_quick, trials=st.validation_trials,
                                 seed=st.seed, fwer=st.validation_fwer, M_study=st.M,
                                 progress=ctx.progress)
    ctx.validation = res
    res.to_csv(ctx.out / "validation.csv")
    ctx.files.append(str(ctx.out / "validation.csv"))
    write_text(ctx.out / "validation.md", res.method() + "\n\n" + res.table_markdown() + "\n")
    ctx.files.append(str(ctx.out / "validation.md"))
    body = [f"**{res.summary()}**", "", res.method(), "", res.table_markdown()]
    if not res.passed:
        raise Partial("\n".join(body), f"{res.n_failed} validation row(s) failed")
    return "\n".join(body)
