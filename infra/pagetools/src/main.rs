//! `hocphi-pagetools split|bindgen INPUT OUT_DIR NAME`: the two rewrites of the page's WebAssembly
//! that `frontend/build.sh` runs between cargo and wasm-opt.
//!
//! - `split`: the module cut at its `#[wasm_split]` functions (wasm-split): the main module
//!   `OUT_DIR/NAME.wasm`, a module per split function and the chunks they share, and the loader
//!   `OUT_DIR/__wasm_split.js`, which imports `initSync` from `./NAME.js`.
//! - `bindgen`: the main module bound for the web (wasm-bindgen, `--target web`, no TypeScript, no
//!   default module path, the linker's exports kept for the split modules): `OUT_DIR/NAME.js`
//!   and `OUT_DIR/NAME_bg.wasm`.
//!
//! Both are the libraries behind the `wasm-split-cli` and `wasm-bindgen` commands, at the exact
//! versions of the page's runtime crates (the workspace pins them together), so the workspace's
//! own build makes the tools rather than a separate install of each command.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [step, input, out_dir, name] if step == "split" => {
            split(input.as_ref(), out_dir.as_ref(), name)
        }
        [step, input, out_dir, name] if step == "bindgen" => {
            bindgen(input.as_ref(), out_dir.as_ref(), name)
        }
        _ => Err("usage: hocphi-pagetools split|bindgen INPUT OUT_DIR NAME".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hocphi-pagetools: {message}");
            ExitCode::FAILURE
        }
    }
}

/// wasm-split with the web target.
fn split(input: &Path, out_dir: &Path, name: &str) -> Result<(), String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let main_out = out_dir.join(format!("{name}.wasm"));
    let main_module = format!("./{name}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = out_dir;
    options.main_out_path = &main_out;
    options.main_module = &main_module;
    options.target.web();
    wasm_split_cli_support::transform(options)
        .map(drop)
        .map_err(|e| format!("splitting {}: {e:?}", input.display()))
}

/// wasm-bindgen with the web target.
fn bindgen(input: &Path, out_dir: &Path, name: &str) -> Result<(), String> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .web(true)
        .map_err(|e| e.to_string())?
        .out_name(name)
        .typescript(false)
        .omit_default_module_path(true)
        .keep_lld_exports(true)
        .generate(out_dir)
        .map_err(|e| format!("binding {}: {e:?}", input.display()))
}
