//! `edgemodule-hub new`: a module in the conventions of Microsoft's module templates — code
//! with an input handler, a direct method and a desired-property handler, a unit test,
//! `module.json`, and `Dockerfile.amd64` / `.arm64v8` / `.arm32v7` — added with a route to
//! a deployment manifest. The templates are in `hub/templates/` (see its README).

pub mod ordered_json;
mod templates;

use std::path::{Path, PathBuf};

use ordered_json::Json;
pub use templates::Language;

/// The platforms a module gets a Dockerfile for, with the values their templates need:
/// (platform key, official images' architecture prefix, wheel tag, C tarball, npm
/// package, .NET image suffix).
pub const PLATFORMS: &[Platform] = &[
    Platform {
        key: "amd64",
        arch_image: "amd64",
        wheel_arch: "x86_64",
        c_arch: "x64",
        npm_platform: "linux-x64-gnu",
        dotnet_arch: "amd64",
    },
    Platform {
        key: "arm64v8",
        arch_image: "arm64v8",
        wheel_arch: "aarch64",
        c_arch: "arm64",
        npm_platform: "linux-arm64-gnu",
        dotnet_arch: "arm64v8",
    },
    Platform {
        key: "arm32v7",
        arch_image: "arm32v7",
        wheel_arch: "armv7l",
        c_arch: "arm",
        npm_platform: "linux-arm-gnueabihf",
        dotnet_arch: "arm32v7",
    },
];

/// One image platform and the package names it uses (issue 17's artifact names).
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// `module.json` platform key and Dockerfile suffix.
    pub key: &'static str,
    /// Prefix of the official images for this architecture (`amd64/python`, …).
    pub arch_image: &'static str,
    /// Python wheel platform tag.
    pub wheel_arch: &'static str,
    /// C tarball architecture (`edgemodule-<ver>-linux-<arch>.tar.gz`).
    pub c_arch: &'static str,
    /// Prebuilt npm package platform.
    pub npm_platform: &'static str,
    /// Tag suffix of the .NET images.
    pub dotnet_arch: &'static str,
}

/// What `new` creates.
#[derive(Debug, Clone)]
pub struct NewModule {
    /// Language.
    pub language: Language,
    /// Module name.
    pub name: String,
    /// Image repository (default `localhost/NAME`).
    pub repository: String,
}

/// What `new` did.
#[derive(Debug, Clone)]
pub struct Created {
    /// The module directory.
    pub dir: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// The route added.
    pub route: String,
    /// The amd64 image the manifest names.
    pub image: String,
}

/// Checks a module name for `new`: it becomes a directory, an image name and identifiers
/// in every language.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "'{name}' cannot be used: a new module's name starts with a letter and has only \
             letters, digits, '-' and '_' (at most 64)"
        ));
    }
    Ok(())
}

/// `my-module` → `my_module`.
pub fn ident(name: &str) -> String {
    name.replace('-', "_")
}

/// `my-module` → `MyModule`.
pub fn class_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Fills `{{key}}` placeholders.
fn render(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

impl NewModule {
    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("ident", ident(&self.name)),
            ("package", ident(&self.name).to_ascii_lowercase()),
            ("Class", class_name(&self.name)),
            ("repository", self.repository.clone()),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
        ]
    }

    /// Every file of the module, rendered: the language's files, three Dockerfiles and
    /// module.json.
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        let vars = self.vars();
        let mut files = Vec::new();
        for (path, text) in self.language.files() {
            if *path == "Dockerfile" {
                for platform in PLATFORMS {
                    let mut vars = vars.clone();
                    vars.extend([
                        ("platform", platform.key.to_string()),
                        ("arch_image", platform.arch_image.to_string()),
                        ("wheel_arch", platform.wheel_arch.to_string()),
                        ("c_arch", platform.c_arch.to_string()),
                        ("npm_platform", platform.npm_platform.to_string()),
                        ("dotnet_arch", platform.dotnet_arch.to_string()),
                    ]);
                    files.push((
                        PathBuf::from(format!("Dockerfile.{}", platform.key)),
                        render(text, &vars),
                    ));
                }
            } else {
                let path = path.strip_suffix(".tmpl").unwrap_or(path);
                files.push((PathBuf::from(render(path, &vars)), render(text, &vars)));
            }
        }
        files.push((PathBuf::from("module.json"), self.module_json()));
        files
    }

    /// `module.json` as iotedgedev and Microsoft's templates write it.
    pub fn module_json(&self) -> String {
        let platforms: serde_json::Map<String, serde_json::Value> = PLATFORMS
            .iter()
            .map(|p| {
                (
                    p.key.to_string(),
                    serde_json::Value::String(format!("./Dockerfile.{}", p.key)),
                )
            })
            .collect();
        let json = serde_json::json!({
            "$schema-version": "0.0.1",
            "description": format!("{} module on edgemodule", self.language.display_name()),
            "image": {
                "repository": self.repository,
                "tag": { "version": "0.0.1", "platforms": platforms },
                "buildOptions": [],
                "contextPath": "./",
            },
            "language": self.language.module_json_language(),
        });
        Json::from(json).to_pretty()
    }

    /// The image `build --platform amd64` makes.
    pub fn amd64_image(&self) -> String {
        format!("{}:0.0.1-amd64", self.repository)
    }

    /// Writes the module into `dir` (which must not exist) and adds it to `manifest`
    /// (created when missing).
    pub fn create(&self, dir: &Path, manifest: &Path) -> Result<Created, String> {
        check_name(&self.name)?;
        if dir.exists() {
            return Err(format!("{} already exists", dir.display()));
        }
        // The manifest first: a manifest problem leaves nothing behind.
        let manifest_text = match std::fs::read_to_string(manifest) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", manifest.display())),
        };
        let (updated, route) = self.add_to_manifest(manifest_text.as_deref())?;
        let files = self.files();
        for (path, text) in &files {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&target, text)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
        if let Some(parent) = manifest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(manifest, updated)
            .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
        Ok(Created {
            dir: dir.to_path_buf(),
            files: files.into_iter().map(|(path, _)| path).collect(),
            route,
            image: self.amd64_image(),
        })
    }

    /// The manifest with the module, its desired properties and a route to `$upstream`
    /// added (a new manifest when `existing` is `None`), and the route's text. Members
    /// keep their order; nothing already there is replaced.
    pub fn add_to_manifest(&self, existing: Option<&str>) -> Result<(String, String), String> {
        let mut root = match existing {
            Some(text) => {
                Json::parse(text).map_err(|e| format!("the manifest is not JSON: {e}"))?
            }
            None => Json::from(serde_json::json!({ "modulesContent": {} })),
        };
        let has_content = root.get("content").is_some();
        let top = if has_content {
            root.get_mut("content")
                .ok_or_else(|| "content is not an object".to_string())?
        } else {
            &mut root
        };
        let contents = top
            .object_member("modulesContent")
            .ok_or_else(|| "modulesContent is not an object".to_string())?;
        let name = &self.name;
        let missing = |what: &str| format!("{what} is not an object in the manifest");

        let agent = contents
            .object_member("$edgeAgent")
            .and_then(|a| a.object_member("properties.desired"))
            .ok_or_else(|| missing("$edgeAgent.properties.desired"))?;
        agent.insert_new("schemaVersion", text("1.1"));
        agent.insert_new(
            "runtime",
            object(vec![
                ("type", text("docker")),
                (
                    "settings",
                    object(vec![("minDockerVersion", text("v1.25"))]),
                ),
            ]),
        );
        let modules = agent
            .object_member("modules")
            .ok_or_else(|| missing("$edgeAgent modules"))?;
        let entry = object(vec![
            ("version", text("1.0")),
            ("type", text("docker")),
            ("status", text("running")),
            ("restartPolicy", text("always")),
            (
                "settings",
                object(vec![
                    ("image", text(&self.amd64_image())),
                    ("createOptions", text("{}")),
                ]),
            ),
        ]);
        if !modules.insert_new(name, entry) {
            return Err(format!("the manifest already has a module '{name}'"));
        }

        let hub = contents
            .object_member("$edgeHub")
            .and_then(|h| h.object_member("properties.desired"))
            .ok_or_else(|| missing("$edgeHub.properties.desired"))?;
        hub.insert_new("schemaVersion", Json::String("1.1".into()));
        let route = format!("FROM /messages/modules/{name}/outputs/* INTO $upstream");
        let routes = hub
            .object_member("routes")
            .ok_or_else(|| missing("$edgeHub routes"))?;
        let route_name = format!("{}ToUpstream", ident(name));
        if !routes.insert_new(&route_name, Json::String(route.clone())) {
            return Err(format!("the manifest already has a route '{route_name}'"));
        }
        hub.insert_new(
            "storeAndForwardConfiguration",
            object(vec![("timeToLiveSecs", Json::Number(7200.into()))]),
        );

        let desired = contents
            .object_member(name)
            .and_then(|m| m.object_member("properties.desired"))
            .ok_or_else(|| missing(&format!("{name}.properties.desired")))?;
        desired.insert_new("Enabled", Json::Bool(true));

        let text = root.to_pretty();
        // What the hub will read must parse.
        crate::manifest::parse(&text)
            .map_err(|e| format!("the updated manifest is invalid: {e}"))?;
        Ok((text, route))
    }
}

/// A JSON string.
fn text(value: &str) -> Json {
    Json::String(value.to_string())
}

/// A JSON object with members in this order.
fn object(members: Vec<(&str, Json)>) -> Json {
    Json::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(language: Language, name: &str) -> NewModule {
        NewModule {
            language,
            name: name.into(),
            repository: format!("localhost/{name}"),
        }
    }

    #[test]
    fn names_become_identifiers() {
        assert!(check_name("my-module_2").is_ok());
        for bad in ["", "2mod", "my mod", "mod/x", "ä"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(ident("my-module"), "my_module");
        assert_eq!(class_name("my-module_x"), "MyModuleX");
    }

    #[test]
    fn every_language_gets_code_a_test_module_json_and_three_dockerfiles() {
        for language in Language::ALL {
            let files = module(*language, "my-mod").files();
            let names: Vec<String> = files
                .iter()
                .map(|(p, _)| p.to_string_lossy().into_owned())
                .collect();
            for required in [
                "module.json",
                "Dockerfile.amd64",
                "Dockerfile.arm64v8",
                "Dockerfile.arm32v7",
            ] {
                assert!(
                    names.iter().any(|n| n == required),
                    "{language:?}: {names:?}"
                );
            }
            let markers = [
                "#[test]",
                "unittest",
                "@Test",
                "[Fact]",
                "node:test",
                "assert(",
            ];
            assert!(
                files
                    .iter()
                    .any(|(_, text)| markers.iter().any(|m| text.contains(m))),
                "{language:?} has no test: {names:?}"
            );
            for (path, text) in &files {
                assert!(
                    !text.contains("{{"),
                    "{language:?} {}: unfilled placeholder",
                    path.display()
                );
                assert!(!path.to_string_lossy().contains("{{"), "{}", path.display());
            }
            let arm = &files
                .iter()
                .find(|(p, _)| p == Path::new("Dockerfile.arm32v7"))
                .unwrap()
                .1;
            assert!(
                arm.contains("FROM arm32v7/") || arm.contains("-arm32v7"),
                "{language:?}: {arm}"
            );
            assert!(!arm.contains("amd64"), "{language:?}: {arm}");
            let json: serde_json::Value = serde_json::from_str(
                &files
                    .iter()
                    .find(|(p, _)| p == Path::new("module.json"))
                    .unwrap()
                    .1,
            )
            .unwrap();
            assert_eq!(json["image"]["repository"], "localhost/my-mod");
            assert_eq!(
                json["image"]["tag"]["platforms"]["arm64v8"],
                "./Dockerfile.arm64v8"
            );
            assert_eq!(json["language"], language.module_json_language());
        }
    }

    #[test]
    fn a_new_manifest_has_the_module_its_route_and_desired_properties() {
        let (text, route) = module(Language::Python, "mymod")
            .add_to_manifest(None)
            .unwrap();
        assert_eq!(
            route,
            "FROM /messages/modules/mymod/outputs/* INTO $upstream"
        );
        let manifest = crate::manifest::parse(&text).unwrap();
        let spec = manifest.module("mymod").unwrap();
        assert_eq!(spec.desired["Enabled"], true);
        assert_eq!(
            spec.agent["settings"]["image"],
            "localhost/mymod:0.0.1-amd64"
        );
        assert_eq!(manifest.routes.len(), 1);
    }

    #[test]
    fn adding_keeps_the_existing_manifest_and_its_order() {
        let existing = r#"{"modulesContent":{
            "$edgeAgent":{"properties.desired":{"schemaVersion":"1.1","modules":{
                "zeta":{"type":"docker","settings":{"image":"z"}}}}},
            "$edgeHub":{"properties.desired":{"schemaVersion":"1.2","routes":{"r":"FROM /* INTO $upstream"}}}}}"#;
        let (text, _) = module(Language::C, "alpha")
            .add_to_manifest(Some(existing))
            .unwrap();
        assert!(text.find("\"zeta\"").unwrap() < text.find("\"alpha\"").unwrap());
        let alpha = &text[text.find("\"alpha\"").unwrap()..];
        assert!(alpha.find("\"version\"").unwrap() < alpha.find("\"settings\"").unwrap());
        assert!(text.contains("\"schemaVersion\": \"1.2\""));
        let manifest = crate::manifest::parse(&text).unwrap();
        assert_eq!(
            manifest.module_names(),
            vec!["alpha".to_string(), "zeta".to_string()]
        );
        assert_eq!(manifest.routes.len(), 2);
        let err = module(Language::C, "zeta")
            .add_to_manifest(Some(existing))
            .unwrap_err();
        assert!(err.contains("already has a module 'zeta'"), "{err}");
        assert!(module(Language::C, "x")
            .add_to_manifest(Some("[1]"))
            .is_err());
    }

    #[test]
    fn create_writes_files_and_refuses_an_existing_directory() {
        let root = tempfile::tempdir().unwrap();
        let manifest = root.path().join("deployment.json");
        let dir = root.path().join("modules/mymod");
        let created = module(Language::Python, "mymod")
            .create(&dir, &manifest)
            .unwrap();
        assert!(dir.join("main.py").is_file() && dir.join("Dockerfile.arm64v8").is_file());
        assert_eq!(created.image, "localhost/mymod:0.0.1-amd64");
        assert!(crate::manifest::load(&manifest).is_ok());
        let again = module(Language::Python, "mymod").create(&dir, &manifest);
        assert!(again.unwrap_err().contains("already exists"));
    }
}
