//! The sweep spec: a TOML file read with every key's position, so each mistake is reported
//! as `file:line:column` with a hint, and nothing runs until the whole spec is valid.

pub mod catalog;
mod data;
mod error;
mod param;
mod parse;
mod reader;
mod source;
mod suggest;
mod sweep;
mod tree;
mod types;

pub use data::{DATASET_NAMES, IDX_FILES};
pub use error::{SpecError, SpecErrors};
pub use param::Param;
pub use parse::parse_spec;
pub use reader::Located;
pub use source::SpecSource;
pub use suggest::{closest, edit_distance};
pub use sweep::{TRIAL_KEYS, is_trial_key};
pub use types::{
    Axis, AxisValues, Budget, DataSource, DataSpec, LrFindSpec, ModelSpec, ScheduleSpec, Spec,
    SweepMethod, SweepSpec, TrainSpec,
};

impl Spec {
    /// Reads and checks the spec file at `path` (an unreadable file is reported like a spec
    /// mistake, at 1:1).
    pub fn from_file(path: &std::path::Path) -> Result<Spec, SpecErrors> {
        match SpecSource::from_file(path) {
            Ok(source) => parse_spec(source),
            Err(e) => Err(SpecErrors::io(&path.display().to_string(), &e)),
        }
    }
}
