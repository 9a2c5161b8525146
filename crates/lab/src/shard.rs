//! Sharding a sweep over machines that share the run directory: shard `i` of `n` runs the
//! trials whose index is `i (mod n)` (round-robin, so every shard gets a similar mix).

use std::fmt;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `true` if trial `trial_index` belongs to this shard.
    pub fn contains(&self, trial_index: usize) -> bool {
        trial_index % self.count == self.index
    }

    /// Parses `I/N` with `1 <= I <= N` (1-based, as users count).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let err = || format!("--shard must be I/N with 1 <= I <= N (e.g. 1/4), got `{text}`");
        let (i, n) = text.split_once('/').ok_or_else(err)?;
        let (i, n): (usize, usize) = (
            i.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if n == 0 || i == 0 || i > n {
            return Err(err());
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }

    /// The shard given by the environment of a job array, if any:
    /// - Slurm: `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` (`SLURM_ARRAY_TASK_MIN` is
    ///   subtracted, so `--array=1-4` and `--array=0-3` both work);
    /// - Kubernetes indexed jobs: `JOB_COMPLETION_INDEX` (0-based) with the count in
    ///   `DESCENT_SHARDS` (Kubernetes does not export `completions`; set it in the pod spec) or
    ///   given as `count` (from `--shards N`).
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        count: Option<usize>,
    ) -> Result<Option<Shard>, String> {
        let num = |key: &str| -> Result<Option<usize>, String> {
            get(key)
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("{key}={v} is not a number"))
                })
                .transpose()
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let n = num("SLURM_ARRAY_TASK_COUNT")?
                .or(count)
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            return Self::checked(
                id.checked_sub(min)
                    .ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?,
                n,
                "SLURM_ARRAY_TASK_ID",
            )
            .map(Some);
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let n = count.or(num("DESCENT_SHARDS")?).ok_or(
                "JOB_COMPLETION_INDEX is set but the shard count is not: set DESCENT_SHARDS=N (the job's completions) or pass --shards N",
            )?;
            return Self::checked(index, n, "JOB_COMPLETION_INDEX").map(Some);
        }
        Ok(None)
    }

    fn checked(index: usize, count: usize, what: &str) -> Result<Shard, String> {
        if count == 0 || index >= count {
            Err(format!(
                "{what} gives shard {index} of {count}: out of range"
            ))
        } else {
            Ok(Shard { index, count })
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_one_based_shards_and_partitions_trials() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(
            (0..9).filter(|&i| s.contains(i)).collect::<Vec<_>>(),
            [1, 4, 7]
        );
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("x").is_err());
        let all: usize = (0..3)
            .map(|i| {
                (0..10)
                    .filter(|&t| Shard { index: i, count: 3 }.contains(t))
                    .count()
            })
            .sum();
        assert_eq!(all, 10);
    }

    #[test]
    fn reads_slurm_and_kubernetes_environments() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        assert_eq!(
            Shard::from_env(env(&slurm), None).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        let k8s = [("JOB_COMPLETION_INDEX", "0"), ("DESCENT_SHARDS", "2")];
        assert_eq!(
            Shard::from_env(env(&k8s), None).unwrap(),
            Some(Shard { index: 0, count: 2 })
        );
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")]), None).is_err());
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "1")]), Some(3)).unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "3")]), Some(3)).is_err());
        assert_eq!(Shard::from_env(env(&[]), None).unwrap(), None);
    }
}
