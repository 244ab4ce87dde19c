// Runs Python code under MicroPython 1.27 (its WebAssembly port, pinned in package.json).
//
//   node run.mjs kernel [--kernel DIR] [--shims] [--expected FILE] [--heap BYTES]
//       Copies the project's kernel/*.py (or DIR/*.py) into MicroPython's filesystem (/lib/kernel), with an empty
//       package __init__.py (the real one goes to /lib/kernel_init.py, so that each module's own
//       first error shows), copies hour.py (/lib/mpy_hour.py), the shims (/shims, put first on
//       sys.path only with --shims) and FILE (/expected.json), then runs driver.py.  The driver
//       prints one line "@@REPORT <json>".
//   node run.mjs probe FILE...
//       Runs each FILE in a fresh MicroPython (the shims in /shims, not on sys.path unless FILE puts them
//       there) and prints one JSON line per file:
//       {"file", "ok", "stdout", "error"} (error: the last line of the traceback).
//
// python -m tools.micropython.check (make micropython) drives both; see docs/micropython.md.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");

async function fresh(heap) {
  const lines = [];
  const sink = (text) => lines.push(text);
  const mp = await loadMicroPython({ heapsize: heap, stdout: sink, stderr: sink });
  return { mp, lines };
}

function run(mp, code) {
  try {
    mp.runPython(code);
    return null;
  } catch (e) {
    const lines = String(e.message).trim().split("\n");
    return lines[lines.length - 1];
  }
}

function copyPy(mp, fromDir, toDir) {
  mp.FS.mkdirTree(toDir);
  for (const name of fs.readdirSync(fromDir).sort()) {
    if (name.endsWith(".py")) mp.FS.writeFile(`${toDir}/${name}`, fs.readFileSync(path.join(fromDir, name)));
  }
}

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

const [mode, ...args] = process.argv.slice(2);
const heap = Number(option(args, "--heap", 8 * 1024 * 1024));
if (mode === "kernel") {
  const { mp, lines } = await fresh(heap);
  const kernel = option(args, "--kernel", path.join(ROOT, "kernel"));
  copyPy(mp, kernel, "/lib/kernel");
  mp.FS.writeFile("/lib/kernel_init.py", fs.readFileSync(path.join(kernel, "__init__.py")));
  mp.FS.writeFile("/lib/kernel/__init__.py", "");
  mp.FS.writeFile("/lib/mpy_hour.py", fs.readFileSync(path.join(HERE, "hour.py")));
  if (args.includes("--shims")) copyPy(mp, path.join(HERE, "shims"), "/shims");
  const expected = option(args, "--expected", null);
  if (expected) mp.FS.writeFile("/expected.json", fs.readFileSync(expected));
  const error = run(mp, fs.readFileSync(path.join(HERE, "driver.py"), "utf8"));
  for (const line of lines) console.log(line);
  if (error) {
    console.log(`driver failed: ${error}`);
    process.exitCode = 1;
  }
} else if (mode === "probe") {
  for (const file of args) {
    const { mp, lines } = await fresh(heap);
    copyPy(mp, path.join(HERE, "shims"), "/shims");
    const error = run(mp, fs.readFileSync(file, "utf8"));
    console.log(JSON.stringify({ file, ok: error === null, stdout: lines.join("\n"), error }));
  }
} else {
  console.error("usage: node run.mjs kernel [--kernel DIR] [--shims] [--expected FILE] [--heap BYTES] | probe FILE...");
  process.exitCode = 2;
}
