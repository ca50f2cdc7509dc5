"""Summarises bench JSON lines (faultline's and the peers') side by side: time, speed-up, and
agreement on the chosen C and the CV balanced accuracy over the classes both fitted.

    python bench/compare.py RESULTS.jsonl
"""
import json
import sys

runs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
ours = next(r for r in runs if r["solver"].startswith("faultline-regularized"))
free = next((r for r in runs if r["solver"] == "faultline-free"), None)
# Each peer against the faultline mode that solves its problem: LinearSVC regularises the
# intercept (faultline's default), SVC(kernel="linear") does not (--svm-bias free).
reference = {"svc": free or ours}
fitted = {c["class"]: c for c in ours["classes"] if "c" in c}
print(f"faultline: {ours['seconds']:.2f} s (median of {ours['runs']}), {len(fitted)} classes fitted, "
      f"{len(ours['classes']) - len(fitted)} skipped")
for run in runs:
    if run["solver"].startswith("faultline"):
        continue
    base = reference.get(run["solver"], ours)
    if run["seconds"] is None:
        bound = run["unfinished_after"]
        # Against each faultline mode run, so both ratios are on record.
        ratios = ", ".join(f"more than {bound / r['seconds']:.0f}x the time of {r['solver']} ({r['seconds']:.2f} s)"
                           for r in (ours, free) if r is not None)
        print(f"{run['solver']}: did not finish in {bound:.0f} s ({ratios})")
        continue
    fitted = {c["class"]: c for c in base["classes"] if "c" in c}
    theirs = {c["class"]: c for c in run["classes"]}
    common = sorted(set(fitted) & set(theirs))
    same_c = sum(fitted[k]["c"] == theirs[k]["c"] for k in common)
    gaps = [abs(fitted[k]["cv_balanced_accuracy"] - theirs[k]["cv_balanced_accuracy"]) for k in common]
    ratio = run["seconds"] / base["seconds"]
    if base is not ours:
        print(f"{run['solver']}: {run['seconds']:.2f} s is {run['seconds'] / ours['seconds']:.1f}x the time of "
              f"{ours['solver']} ({ours['seconds']:.2f} s)")
    over = sum(g > 0.005 for g in gaps)
    print(f"{run['solver']}: {run['seconds']:.2f} s ({ratio:.1f}x the time of {base['solver']}, "
          f"{base['seconds']:.2f} s); {len(common)} classes compared, same C in {same_c}, "
          f"CV balanced accuracy differs by more than 0.005 in {over} (max {max(gaps) if gaps else 0:.4f})")
