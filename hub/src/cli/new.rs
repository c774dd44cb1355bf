//! `new`: scaffolds a module ([`crate::scaffold`]) and adds it to the manifest.

use super::client::CliError;
use super::runtime_args::{Lang, NewArgs};
use crate::scaffold::{Language, NewModule};

/// `new`.
pub fn new(args: NewArgs) -> Result<(), CliError> {
    let language = match args.lang {
        Lang::C => Language::C,
        Lang::Csharp => Language::Csharp,
        Lang::Java => Language::Java,
        Lang::Node => Language::Node,
        Lang::Python => Language::Python,
        Lang::Rust => Language::Rust,
    };
    let module = NewModule {
        language,
        repository: args
            .repository
            .unwrap_or_else(|| format!("localhost/{}", args.name)),
        name: args.name,
    };
    let dir = args.modules_dir.join(&module.name);
    let created = module.create(&dir, &args.manifest).map_err(CliError)?;
    println!(
        "created {} module '{}' in {}:",
        language.display_name(),
        module.name,
        created.dir.display()
    );
    for file in &created.files {
        println!("  {}", file.display());
    }
    println!(
        "added it to {} with the route: {}",
        args.manifest.display(),
        created.route
    );
    println!("next:");
    println!(
        "  edgemodule-hub build {} --platform amd64     # makes {}",
        created.dir.display(),
        created.image
    );
    println!("  edgemodule-hub up --manifest {}", args.manifest.display());
    Ok(())
}
