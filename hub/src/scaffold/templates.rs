//! The template files of each language (`hub/templates/<lang>/`), embedded in the binary.

/// A language `new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// C.
    C,
    /// C#.
    Csharp,
    /// Java.
    Java,
    /// Node.js.
    Node,
    /// Python.
    Python,
    /// Rust.
    Rust,
}

macro_rules! files {
    ($lang:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../templates/", $lang, "/", $path)))),*]
    };
}

impl Language {
    /// Every language.
    pub const ALL: &'static [Language] = &[
        Language::C,
        Language::Csharp,
        Language::Java,
        Language::Node,
        Language::Python,
        Language::Rust,
    ];

    /// `(path template, content template)` of each file; `Dockerfile` is the template of
    /// the per-platform Dockerfiles, and a `.tmpl` suffix (on build files that repository
    /// checks would otherwise take for the project's own) is dropped.
    pub fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Language::C => {
                files!("c": "main.c", "module_state.c", "module_state.h", "test_state.c", "Makefile", "Dockerfile")
            }
            Language::Csharp => {
                files!("csharp": "Program.cs", "ModuleState.cs", "{{Class}}.csproj",
                "tests/ModuleStateTest.cs", "tests/{{Class}}.Tests.csproj", "Dockerfile")
            }
            Language::Java => files!("java": "pom.xml.tmpl", "src/main/java/{{package}}/Main.java",
                "src/main/java/{{package}}/ModuleState.java",
                "src/test/java/{{package}}/ModuleStateTest.java", "Dockerfile"),
            Language::Node => {
                files!("node": "app.js", "state.js", "state.test.js", "package.json.tmpl", "Dockerfile")
            }
            Language::Python => {
                files!("python": "main.py", "state.py", "test_state.py", "requirements.txt", "Dockerfile")
            }
            Language::Rust => {
                files!("rust": "Cargo.toml.tmpl", "src/main.rs", "src/state.rs", "Dockerfile")
            }
        }
    }

    /// The `language` of module.json (iotedgedev's names).
    pub fn module_json_language(self) -> &'static str {
        match self {
            Language::C => "c",
            Language::Csharp => "csharp",
            Language::Java => "java",
            Language::Node => "javascript",
            Language::Python => "python",
            Language::Rust => "rust",
        }
    }

    /// A name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Language::C => "C",
            Language::Csharp => "C#",
            Language::Java => "Java",
            Language::Node => "Node.js",
            Language::Python => "Python",
            Language::Rust => "Rust",
        }
    }
}
