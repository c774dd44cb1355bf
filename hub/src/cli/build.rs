//! `build`: builds a module's image as iotedgedev does, from its `module.json`
//! (`image.repository`, `image.tag.version`, `image.tag.platforms`, `image.contextPath`,
//! `image.buildOptions`), tagged `REPOSITORY:VERSION-PLATFORM`, with podman. The
//! edgemodule packages (`make dist` output) are given as the named build context
//! `packages`, which the Dockerfiles copy from.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::client::CliError;
use super::runtime_args::BuildArgs;
use crate::runtime::podman::Podman;

/// Environment variable naming the packages directory.
pub const PACKAGES_ENV: &str = "EDGEMODULE_PACKAGES";

/// What `module.json` says about one platform's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecipe {
    /// `REPOSITORY:VERSION-PLATFORM`.
    pub tag: String,
    /// The Dockerfile.
    pub dockerfile: PathBuf,
    /// The build context.
    pub context: PathBuf,
    /// `buildOptions`, passed to the build as they are.
    pub build_options: Vec<String>,
    /// podman's `--platform` value, when the platform key names one.
    pub platform: Option<&'static str>,
}

/// Reads `dir/module.json` for `platform`.
pub fn recipe(dir: &Path, platform: &str) -> Result<ImageRecipe, String> {
    let path = dir.join("module.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let image = &json["image"];
    let field = |value: &Value, name: &str| -> Result<String, String> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{}: {name} must be a string", path.display()))
    };
    let repository = field(&image["repository"], "image.repository")?;
    let version = field(&image["tag"]["version"], "image.tag.version")?;
    let platforms = image["tag"]["platforms"]
        .as_object()
        .ok_or_else(|| format!("{}: image.tag.platforms is missing", path.display()))?;
    let dockerfile = match platforms.get(platform) {
        Some(file) => field(file, &format!("image.tag.platforms.{platform}"))?,
        None => {
            let known: Vec<&str> = platforms.keys().map(String::as_str).collect();
            return Err(format!(
                "{} has no platform '{platform}' (it has: {})",
                path.display(),
                known.join(", ")
            ));
        }
    };
    let context = match &image["contextPath"] {
        Value::Null => "./".to_string(),
        value => field(value, "image.contextPath")?,
    };
    let build_options = match &image["buildOptions"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|item| field(item, "image.buildOptions"))
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(format!(
                "{}: image.buildOptions must be an array",
                path.display()
            ))
        }
    };
    Ok(ImageRecipe {
        tag: format!("{repository}:{version}-{platform}"),
        dockerfile: dir.join(dockerfile),
        context: dir.join(context),
        build_options,
        platform: oci_platform(platform),
    })
}

/// `amd64` → `linux/amd64`, `arm64v8` → `linux/arm64`, `arm32v7` → `linux/arm/v7`
/// (`.debug` variants alike).
pub fn oci_platform(platform: &str) -> Option<&'static str> {
    match platform.trim_end_matches(".debug") {
        "amd64" => Some("linux/amd64"),
        "arm64v8" => Some("linux/arm64"),
        "arm32v7" => Some("linux/arm/v7"),
        _ => None,
    }
}

/// The packages directory: `--packages`, `$EDGEMODULE_PACKAGES`, or the nearest `dist/`
/// above `dir` holding edgemodule packages.
pub fn packages_dir(given: Option<&Path>, dir: &Path) -> Result<PathBuf, String> {
    if let Some(given) = given {
        return Ok(given.to_path_buf());
    }
    if let Some(env) = std::env::var_os(PACKAGES_ENV) {
        return Ok(PathBuf::from(env));
    }
    let start = std::path::absolute(dir).map_err(|e| e.to_string())?;
    for ancestor in start.ancestors() {
        let dist = ancestor.join("dist");
        let has_packages = std::fs::read_dir(&dist).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("edgemodule-"))
        });
        if has_packages {
            return Ok(dist);
        }
    }
    Err(format!(
        "no edgemodule packages found in a dist/ directory above {}: run 'make dist' in the \
         edgemodule checkout, or give --packages DIR (or {PACKAGES_ENV})",
        start.display()
    ))
}

/// `build`.
pub async fn build(args: BuildArgs) -> Result<(), CliError> {
    let recipe = recipe(&args.dir, &args.platform).map_err(CliError)?;
    let packages = packages_dir(args.packages.as_deref(), &args.dir).map_err(CliError)?;
    let tag = args.tag.unwrap_or(recipe.tag);
    let podman = Podman::detect().await.map_err(CliError)?;
    let mut command = podman.command();
    command
        .args(["build", "--pull=never", "--file"])
        .arg(&recipe.dockerfile)
        .args(["--tag", &tag])
        .arg("--build-context")
        .arg(format!("packages={}", packages.display()));
    if let Some(platform) = recipe.platform {
        command.args(["--platform", platform]);
    }
    command.args(&recipe.build_options).arg(&recipe.context);
    eprintln!(
        "edgemodule-hub: building {tag} from {} (packages: {})",
        recipe.dockerfile.display(),
        packages.display()
    );
    let status = command
        .stdin(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| CliError(format!("cannot run podman: {e}")))?;
    if !status.success() {
        return Err(CliError(format!("podman build of {tag} failed ({status})")));
    }
    println!("{tag}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_json_gives_the_tag_dockerfile_and_context() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("module.json"),
            r#"{"$schema-version":"0.0.1","image":{"repository":"localhost/f",
               "tag":{"version":"0.1.0","platforms":{"amd64":"./Dockerfile.amd64",
               "arm32v7":"./Dockerfile.arm32v7"}},"buildOptions":["--squash"],"contextPath":"./"},
               "language":"python"}"#,
        )
        .unwrap();
        let r = recipe(dir.path(), "arm32v7").unwrap();
        assert_eq!(r.tag, "localhost/f:0.1.0-arm32v7");
        assert_eq!(r.dockerfile, dir.path().join("./Dockerfile.arm32v7"));
        assert_eq!(r.context, dir.path().join("./"));
        assert_eq!(r.build_options, vec!["--squash".to_string()]);
        assert_eq!(r.platform, Some("linux/arm/v7"));
        let err = recipe(dir.path(), "arm64v8").unwrap_err();
        assert!(err.contains("amd64, arm32v7"), "{err}");
        assert!(recipe(&dir.path().join("nope"), "amd64").is_err());
    }

    #[test]
    fn packages_are_found_in_the_nearest_dist_above() {
        let root = tempfile::tempdir().unwrap();
        let module = root.path().join("modules/m");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::create_dir_all(root.path().join("dist")).unwrap();
        std::fs::write(
            root.path().join("dist/edgemodule-0.1.0-linux-x64.tar.gz"),
            b"",
        )
        .unwrap();
        if std::env::var_os(PACKAGES_ENV).is_none() {
            assert_eq!(
                packages_dir(None, &module).unwrap(),
                root.path().join("dist")
            );
        }
        let given = Path::new("/elsewhere");
        assert_eq!(packages_dir(Some(given), &module).unwrap(), given);
    }
}
