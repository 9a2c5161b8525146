//! Schedules without a recorded PyTorch trajectory, against hand-computed values of their
//! formulas; and the stepping interface (`lr`, `step`, `lr_at`) staying consistent.

use descent_optim::{Hyper, HyperValue, SCHEDULE_NAMES, Scheduler, build_scheduler};

fn hyper(entries: &[(&str, HyperValue)]) -> Hyper {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn num(x: f64) -> HyperValue {
    HyperValue::Number(x)
}

/// Runs `s` for `expected.len()` steps, checking `lr()` and `lr_at()` before each.
fn assert_trajectory(mut s: Scheduler, expected: &[f64]) {
    for (t, &e) in expected.iter().enumerate() {
        let lr = f64::from(s.lr());
        assert!(
            (lr - e).abs() <= 1e-7 + 1e-6 * e.abs(),
            "{}: step {t}: lr {lr}, expected {e}",
            s.name()
        );
        if let Some(closed) = s.lr_at(t) {
            assert_eq!(closed, s.lr(), "{}: lr_at({t})", s.name());
        }
        s.step(None);
    }
}

#[test]
fn multistep_counts_passed_milestones() {
    let h = hyper(&[
        ("milestones", HyperValue::List(vec![2.0, 5.0])),
        ("gamma", num(0.1)),
    ]);
    let s = build_scheduler("MultiStepLR", &h, 1.0, 0).unwrap();
    assert_trajectory(s, &[1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01]);
}

#[test]
fn polynomial_decays_to_zero_and_stays() {
    // (1 - t/4)^2
    let h = hyper(&[("total_iters", num(4.0)), ("power", num(2.0))]);
    let s = build_scheduler("polynomial", &h, 1.0, 0).unwrap();
    assert_trajectory(s, &[1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]);
}

#[test]
fn constant_lr_pytorch_defaults_and_the_short_name() {
    let s = build_scheduler("ConstantLR", &Hyper::new(), 0.3, 0).unwrap();
    assert_trajectory(s, &[0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.3]);
    let s = build_scheduler("constant", &Hyper::new(), 0.3, 0).unwrap();
    assert_trajectory(s, &[0.3, 0.3, 0.3]);
}

#[test]
fn warm_restarts_with_t_mult_3() {
    // Periods 2, 6, 18: restarts at t = 0, 2, 8; half-way points at t = 1 and t = 5.
    let h = hyper(&[("T_0", num(2.0)), ("T_mult", num(3.0))]);
    let s = build_scheduler("cosine_restarts", &h, 1.0, 0).unwrap();
    let c = |x: f64| (1.0 + (std::f64::consts::PI * x).cos()) / 2.0;
    assert_trajectory(
        s,
        &[
            1.0,
            0.5,
            1.0,
            c(1.0 / 6.0),
            c(2.0 / 6.0),
            0.5,
            c(4.0 / 6.0),
            c(5.0 / 6.0),
            1.0,
            c(1.0 / 18.0),
        ],
    );
}

#[test]
fn one_cycle_linear_two_and_three_phases() {
    // initial = 1/10, min = initial/100; phase 1 ends at 0.3 * 10 - 1 = 2.
    let base = [
        ("max_lr", num(1.0)),
        ("total_steps", num(10.0)),
        ("anneal_strategy", HyperValue::Text("linear".into())),
        ("div_factor", num(10.0)),
        ("final_div_factor", num(100.0)),
    ];
    let s = build_scheduler("OneCycleLR", &hyper(&base), 0.5, 0).unwrap();
    let down = |k: f64| 1.0 - 0.999 * k / 7.0;
    assert_trajectory(
        s,
        &[
            0.1,
            0.55,
            1.0,
            down(1.0),
            down(2.0),
            down(3.0),
            down(4.0),
            down(5.0),
            down(6.0),
            0.001,
        ],
    );
    let mut three = base.to_vec();
    three.push(("three_phase", HyperValue::Bool(true)));
    // Phases end at 2, 4 (back to 0.1) and 9 (0.001).
    let s = build_scheduler("onecycle", &hyper(&three), 0.5, 0).unwrap();
    let last = |k: f64| 0.1 - 0.099 * k / 5.0;
    assert_trajectory(
        s,
        &[
            0.1,
            0.55,
            1.0,
            0.55,
            0.1,
            last(1.0),
            last(2.0),
            last(3.0),
            last(4.0),
            0.001,
        ],
    );
}

#[test]
fn one_cycle_takes_total_steps_and_max_lr_from_the_run() {
    let s = build_scheduler("onecycle", &Hyper::new(), 0.5, 100).unwrap();
    assert!(
        (s.lr_at(29).unwrap() - 0.5).abs() < 1e-7,
        "peak at pct_start * total - 1"
    );
    assert!((s.lr() - 0.02).abs() < 1e-8);
    let err = build_scheduler(
        "onecycle",
        &hyper(&[("cycle_momentum", HyperValue::Bool(true))]),
        0.5,
        100,
    )
    .unwrap_err();
    assert!(err.to_string().contains("cycle_momentum"), "{err}");
}

#[test]
fn plateau_max_mode_abs_threshold_cooldown_and_min_lr() {
    let h = hyper(&[
        ("mode", HyperValue::Text("max".into())),
        ("threshold_mode", HyperValue::Text("abs".into())),
        ("threshold", num(0.1)),
        ("patience", num(0.0)),
        ("cooldown", num(1.0)),
        ("min_lr", num(0.03)),
        ("factor", num(0.5)),
    ]);
    let mut s = build_scheduler("ReduceLROnPlateau", &h, 0.1, 0).unwrap();
    assert_eq!(s.lr_at(0), None);
    // 1.0 best; 1.05 not better by 0.1 -> halve, cool down; 1.0 absorbed by the cooldown;
    // 0.9 -> max(0.025, 0.03); 0.8 cooldown; 0.7 would go below min_lr: stays.
    let mut seen = Vec::new();
    for metric in [1.0, 1.05, 1.0, 0.9, 0.8, 0.7] {
        seen.push(s.lr());
        s.step(Some(metric));
    }
    seen.push(s.lr());
    let expected = [0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03];
    assert!(
        seen.iter()
            .zip(expected)
            .all(|(a, e)| (f64::from(*a) - e).abs() < 1e-8),
        "{seen:?}"
    );
    // A step without a metric changes nothing.
    s.step(None);
    assert_eq!(s.lr(), 0.03);
}

#[test]
fn warmup_then_cosine_over_the_remaining_steps() {
    let h = hyper(&[
        ("warmup_steps", num(4.0)),
        ("start_factor", num(0.25)),
        ("then", HyperValue::Text("cosine".into())),
    ]);
    let s = build_scheduler("warmup", &h, 1.0, 14).unwrap();
    let c = |t: f64| (1.0 + (std::f64::consts::PI * t / 10.0).cos()) / 2.0;
    let mut expected = vec![0.25, 0.4375, 0.625, 0.8125];
    expected.extend((0..=10).map(|t| c(t as f64)));
    assert_trajectory(s, &expected);
}

#[test]
fn warmup_into_plateau_steps_the_plateau_after_the_ramp() {
    let h = hyper(&[
        ("warmup_steps", num(2.0)),
        ("start_factor", num(0.5)),
        ("then", HyperValue::Text("plateau".into())),
        ("patience", num(0.0)),
    ]);
    let mut s = build_scheduler("warmup", &h, 1.0, 0).unwrap();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(s.lr());
        s.step(Some(1.0));
    }
    // Ramp 0.5, 0.75; then plateau at 1.0: first metric sets best, the next is bad -> 0.1.
    assert_eq!(seen, [0.5, 0.75, 1.0, 1.0, 0.1]);
    assert_eq!(s.lr_at(0), Some(0.5));
    assert_eq!(s.lr_at(3), None);
}

#[test]
fn every_listed_name_builds_with_a_run_length() {
    let needs: [(&str, &[(&str, HyperValue)]); 3] = [
        ("step", &[("step_size", HyperValue::Number(3.0))]),
        ("exponential", &[("gamma", HyperValue::Number(0.9))]),
        ("cosine_restarts", &[("T_0", HyperValue::Number(3.0))]),
    ];
    for name in SCHEDULE_NAMES {
        let extra = needs
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, h)| h);
        let s =
            build_scheduler(name, &hyper(extra), 0.1, 50).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(s.lr() > 0.0, "{name}");
    }
}

#[test]
fn sequential_rejects_mismatched_milestones() {
    let a = build_scheduler("constant", &Hyper::new(), 0.1, 0).unwrap();
    let b = a.clone();
    assert!(Scheduler::sequential(vec![a.clone(), b.clone()], vec![]).is_err());
    assert!(Scheduler::sequential(vec![a.clone(), b.clone(), a.clone()], vec![5, 3]).is_err());
    assert!(Scheduler::sequential(vec![a, b], vec![3]).is_ok());
}
