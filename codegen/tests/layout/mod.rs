//! The check both layout tests make: prettyplease leaves every unit of a generated file
//! unchanged unless the unit has a line of code wider than its margin, which the emitter leaves
//! whole.

const MARGIN: usize = 89;

/// The units of a generated file: each top-level item with its docs and attributes, except that
/// an `impl` block gives one unit per method (wrapped in the block's head and tail).
fn units(text: &str) -> Vec<String> {
    let mut units = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        current.push_str(line);
        current.push('\n');
        let ends_item = line == "}"
            || (!line.starts_with(' ') && !line.starts_with("//") && line.ends_with(';'));
        if ends_item {
            units.push(std::mem::take(&mut current));
        }
    }
    assert!(
        current.trim().is_empty(),
        "text after the last item: {current}"
    );
    units.into_iter().flat_map(split_impl).collect()
}

fn split_impl(unit: String) -> Vec<String> {
    let Some(head) = unit
        .lines()
        .find(|l| !l.starts_with("///") && !l.starts_with("#["))
    else {
        return vec![unit];
    };
    if !head.starts_with("impl") || !head.ends_with('{') {
        return vec![unit];
    }
    let (before, body) = unit.split_once(&format!("{head}\n")).expect("head");
    let body = body.strip_suffix("}\n").expect("an impl ends with }");
    let mut methods = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        current.push_str(line);
        current.push('\n');
        if line == "    }" {
            methods.push(format!(
                "{before}{head}\n{}}}\n",
                std::mem::take(&mut current)
            ));
        }
    }
    methods
}

/// Whether `text` (a generated file without its header) is prettyplease's layout unit by unit,
/// comparing every `every`th unit: the number of units compared, or what differs.
pub fn check(text: &str, every: usize) -> Result<usize, String> {
    let mut compared = 0;
    for unit in units(text).into_iter().step_by(every) {
        // Comments are never broken, by prettyplease or by the emitter.
        if unit
            .lines()
            .any(|l| l.len() > MARGIN && !l.trim_start().starts_with("//"))
        {
            continue;
        }
        let file = syn::parse_file(&unit).map_err(|e| format!("{e}\n{unit}"))?;
        let formatted = prettyplease::unparse(&file);
        if formatted != unit {
            return Err(format!(
                "a unit differs from prettyplease\n--- emitted:\n{unit}\n--- prettyplease:\n{formatted}"
            ));
        }
        compared += 1;
    }
    Ok(compared)
}
