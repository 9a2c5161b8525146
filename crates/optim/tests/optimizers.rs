//! Optimizer behaviour beyond the recorded trajectories: aliases, decoupled decay variants,
//! groups, L1, maximize, errors. Expected numbers are worked out by hand (or, for multi-step
//! NAdam/RAdam, by a float64 transcription of PyTorch's documented algorithm), never taken from
//! this crate's output.

use descent_optim::{Hyper, HyperValue, OPTIMIZER_NAMES, ParamGroup, build_optimizer, default_lr};

fn hyper(entries: &[(&str, HyperValue)]) -> Hyper {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn num(x: f64) -> HyperValue {
    HyperValue::Number(x)
}

fn assert_close(actual: &[f32], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (f64::from(a) - e).abs() <= 1e-6 + 1e-5 * e.abs(),
            "[{i}] = {a}, expected {e}"
        );
    }
}

#[test]
fn every_listed_name_builds_and_class_names_are_case_insensitive() {
    for name in OPTIMIZER_NAMES {
        let optimizer =
            build_optimizer(name, &Hyper::new()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            name.eq_ignore_ascii_case(optimizer.name()) || ["momentum", "nesterov"].contains(name)
        );
    }
    for (class, states) in [
        ("SGD", 0),
        ("AdamW", 2),
        ("RMSprop", 1),
        ("rmsProp", 1),
        ("NAdam", 2),
        ("Rprop", 2),
        ("Lion", 1),
    ] {
        assert_eq!(
            build_optimizer(class, &Hyper::new())
                .unwrap()
                .state_per_param(),
            states,
            "{class}"
        );
    }
    let amsgrad = hyper(&[("amsgrad", HyperValue::Bool(true))]);
    assert_eq!(
        build_optimizer("Adam", &amsgrad).unwrap().state_per_param(),
        3
    );
    assert_eq!(
        build_optimizer("lookahead", &Hyper::new())
            .unwrap()
            .state_per_param(),
        3
    );
    assert_eq!(default_lr("Adadelta"), Some(1.0));
    assert_eq!(default_lr("nope"), None);
}

#[test]
fn momentum_and_nesterov_aliases_use_momentum_09() {
    // momentum: b1 = g1, p1 = p0 - lr g1; b2 = 0.9 g1 + g2, p2 = p1 - lr b2.
    let mut sgd = build_optimizer("momentum", &Hyper::new()).unwrap();
    let mut p = [1.0f32];
    sgd.step(&mut p, &[2.0], 0.1);
    assert_close(&p, &[0.8]);
    sgd.step(&mut p, &[1.0], 0.1);
    assert_close(&p, &[0.8 - 0.1 * (0.9 * 2.0 + 1.0)]);
    // nesterov: d1 = g1 + 0.9 b1 = 1.9 g1; d2 = g2 + 0.9 (0.9 g1 + g2).
    let mut nesterov = build_optimizer("nesterov", &Hyper::new()).unwrap();
    let mut p = [1.0f32];
    nesterov.step(&mut p, &[2.0], 0.1);
    assert_close(&p, &[1.0 - 0.1 * 3.8]);
    nesterov.step(&mut p, &[1.0], 0.1);
    assert_close(&p, &[0.62 - 0.1 * (1.0 + 0.9 * 2.8)]);
}

#[test]
fn sgd_dampening_weight_decay_and_maximize_by_hand() {
    let h = hyper(&[
        ("momentum", num(0.5)),
        ("dampening", num(0.5)),
        ("weight_decay", num(0.1)),
        ("maximize", HyperValue::Bool(true)),
    ]);
    let mut sgd = build_optimizer("SGD", &h).unwrap();
    let mut p = [2.0f32];
    // maximize: g = -1 + 0.1 * 2 = -0.8; b = g (first step); p = 2 + 0.08.
    sgd.step(&mut p, &[1.0], 0.1);
    assert_close(&p, &[2.08]);
    // g = -1 + 0.208 = -0.792; b = 0.5 * -0.8 + 0.5 * -0.792 = -0.796; p = 2.08 + 0.0796.
    sgd.step(&mut p, &[1.0], 0.1);
    assert_close(&p, &[2.1596]);
}

#[test]
fn l1_adds_the_sign_of_the_parameter() {
    let mut sgd = build_optimizer("sgd", &hyper(&[("l1", num(0.5))])).unwrap();
    let mut p = [1.0f32, -1.0, 0.0];
    sgd.step(&mut p, &[0.0, 0.0, 0.0], 0.1);
    assert_close(&p, &[0.95, -0.95, 0.0]);
}

#[test]
fn adam_amsgrad_keeps_the_largest_second_moment() {
    // Step 1 (g = 1): m = 0.1, v = 0.001; p = -lr / (1 - 0.9) * 0.1 / (sqrt(0.001) / sqrt(0.001) + 1e-8).
    // Step 2 (g = 0): m = 0.09, v = 0.000999 < v_max = 0.001;
    // denom = sqrt(0.001) / sqrt(1 - 0.999^2) + 1e-8; p -= lr / (1 - 0.81) * 0.09 / denom.
    let mut adam = build_optimizer("adam", &hyper(&[("amsgrad", HyperValue::Bool(true))])).unwrap();
    let mut p = [0.0f32];
    adam.step(&mut p, &[1.0], 0.1);
    let after_one = -0.1 / 0.1 * 0.1 / (1.0 + 1e-8);
    assert_close(&p, &[after_one]);
    adam.step(&mut p, &[0.0], 0.1);
    let denom = 0.001f64.sqrt() / (1.0 - 0.999f64 * 0.999).sqrt() + 1e-8;
    assert_close(&p, &[after_one - 0.1 / 0.19 * 0.09 / denom]);
}

#[test]
fn adamw_decays_by_lr_times_weight_decay() {
    // With g = 0 the moments stay 0: only p *= 1 - lr * wd.
    let mut adamw = build_optimizer("adamw", &hyper(&[("weight_decay", num(0.5))])).unwrap();
    let mut p = [2.0f32, -4.0];
    adamw.step(&mut p, &[0.0, 0.0], 0.1);
    assert_close(&p, &[1.9, -3.8]);
}

#[test]
fn nadam_decoupled_weight_decay_two_steps() {
    let grads = [[0.5f32, -0.25], [-0.1, 0.3]];
    let run = |decoupled: bool| {
        let h = hyper(&[
            ("weight_decay", num(0.1)),
            ("decoupled_weight_decay", HyperValue::Bool(decoupled)),
        ]);
        let mut nadam = build_optimizer("NAdam", &h).unwrap();
        let mut p = [1.0f32, -2.0];
        grads
            .iter()
            .map(|g| {
                nadam.step(&mut p, g, 0.01);
                p
            })
            .collect::<Vec<_>>()
    };
    let decoupled = run(true);
    assert_close(&decoupled[0], &[0.9884354824277365, -1.9874354826390268]);
    assert_close(&decoupled[1], &[0.9888789579042586, -1.9930738031229633]);
    let coupled = run(false);
    assert_close(&coupled[0], &[0.9894354823925214, -1.9894354824512133]);
    assert_close(&coupled[1], &[0.9888231819286567, -1.9911108895831109]);
}

#[test]
fn radam_decoupled_weight_decay_through_the_rectification_switch() {
    // rho_t > 5 first at step 6 (betas 0.9, 0.999); before that p -= lr * m / (1 - b1^t).
    let expected_decoupled = [
        [0.9962984884706593, -1.996],
        [0.9951176498802565, -1.9922671578947366],
        [0.995832642528789, -1.9888099460873954],
        [0.9969999902067448, -1.9856367802238901],
        [0.9972915908569658, -1.9827560004679148],
        [0.9962934778683312, -1.9806374049489963],
        [0.9952289112515056, -1.978571427768418],
    ];
    let expected_coupled_last = [0.9970626654665502, -1.9822286377061569];
    for decoupled in [true, false] {
        let h = hyper(&[
            ("weight_decay", num(0.1)),
            ("decoupled_weight_decay", HyperValue::Bool(decoupled)),
        ]);
        let mut radam = build_optimizer("RAdam", &h).unwrap();
        let mut p = [1.0f32, -2.0];
        for t in 1..=7 {
            let g = [
                (0.5 * (t as f64).cos()) as f32,
                (-0.25 + 0.05 * t as f64) as f32,
            ];
            radam.step(&mut p, &g, 0.01);
            if decoupled {
                assert_close(&p, &expected_decoupled[t - 1]);
            }
        }
        if !decoupled {
            assert_close(&p, &expected_coupled_last);
        }
    }
}

#[test]
fn groups_scale_lr_and_override_weight_decay() {
    let mut sgd = build_optimizer("sgd", &hyper(&[("weight_decay", num(0.5))])).unwrap();
    sgd.set_param_groups(&[
        ParamGroup {
            range: 0..2,
            lr_scale: 2.0,
            weight_decay: None,
        },
        ParamGroup {
            range: 4..5,
            lr_scale: 1.0,
            weight_decay: Some(0.0),
        },
        ParamGroup {
            range: 5..6,
            lr_scale: 0.0,
            weight_decay: None,
        },
    ])
    .unwrap();
    let mut p = [1.0f32; 6];
    sgd.step(&mut p, &[1.0; 6], 0.1);
    // group 0: 1 - 0.2 * (1 + 0.5); default: 1 - 0.1 * 1.5; group 1: 1 - 0.1 * 1; frozen: 1.
    assert_close(&p, &[0.7, 0.7, 0.85, 0.85, 0.9, 1.0]);
    let overlapping = [
        ParamGroup {
            range: 0..3,
            lr_scale: 1.0,
            weight_decay: None,
        },
        ParamGroup {
            range: 2..4,
            lr_scale: 1.0,
            weight_decay: None,
        },
    ];
    assert!(sgd.set_param_groups(&overlapping).is_err());
}

#[test]
fn rprop_group_lr_scales_the_initial_step_size() {
    let mut rprop = build_optimizer("rprop", &Hyper::new()).unwrap();
    rprop
        .set_param_groups(&[ParamGroup {
            range: 1..2,
            lr_scale: 3.0,
            weight_decay: None,
        }])
        .unwrap();
    let mut p = [0.0f32, 0.0];
    rprop.step(&mut p, &[1.0, -1.0], 0.01);
    assert_close(&p, &[-0.01, 0.03]);
    // Same sign again: step sizes grow by eta_plus = 1.2.
    rprop.step(&mut p, &[1.0, -1.0], 0.01);
    assert_close(&p, &[-0.022, 0.066]);
}

#[test]
fn momentum_in_the_subnormal_range_is_stored_as_zero() {
    // A gradient of 2^-130 (the normal range starts at 2^-126) moves p once, then the buffer is
    // stored as 0. Kept, as PyTorch keeps it, it would decay by 0.9 per step only down to
    // 4 * 2^-149 (0.9 * k * 2^-149 rounds back to k for k <= 4) and move p on every later step.
    let mut sgd = build_optimizer("sgd", &hyper(&[("momentum", num(0.9))])).unwrap();
    let g = f32::MIN_POSITIVE / 16.0;
    let mut p = [0.0f32];
    sgd.step(&mut p, &[g], 1.0);
    assert_eq!(p, [-g]);
    for _ in 0..300 {
        sgd.step(&mut p, &[0.0], 1.0);
    }
    assert_eq!(p, [-g], "a flushed buffer no longer moves p");
    // A normal buffer decays as before: 0.9 * 2^-120 is well inside the normal range.
    let mut p = [0.0f32];
    sgd.reset();
    let g = f32::MIN_POSITIVE * 64.0;
    sgd.step(&mut p, &[g], 1.0);
    sgd.step(&mut p, &[0.0], 1.0);
    assert_eq!(p, [-g - 0.9f32 * g]);
}

#[test]
fn rprop_keeps_a_subnormal_previous_gradient_for_its_sign_test() {
    let mut rprop = build_optimizer("rprop", &Hyper::new()).unwrap();
    let mut p = [0.0f32];
    rprop.step(&mut p, &[1e-40], 0.01);
    assert_close(&p, &[-0.01]);
    // 1.0 * 1e-40 > 0: same sign, so the step grows by eta_plus = 1.2.
    rprop.step(&mut p, &[1.0], 0.01);
    assert_close(&p, &[-0.022]);
}

#[test]
fn lookahead_pulls_back_halfway_every_k_steps() {
    let h = hyper(&[
        ("inner", HyperValue::Text("sgd".into())),
        ("k", num(2.0)),
        ("alpha", num(0.5)),
    ]);
    let mut la = build_optimizer("lookahead", &h).unwrap();
    let mut p = [0.0f32];
    la.step(&mut p, &[1.0], 1.0);
    assert_close(&p, &[-1.0]);
    // Fast weights reach -2, slow weights move from 0 halfway: -1.
    la.step(&mut p, &[1.0], 1.0);
    assert_close(&p, &[-1.0]);
    la.reset();
    assert_eq!(la.steps_taken(), 0);
}

#[test]
fn errors_name_the_optimizer_the_key_and_the_closest_name() {
    let err = build_optimizer("adamm", &Hyper::new()).err().unwrap();
    assert_eq!(
        err.to_string(),
        "unknown optimizer `adamm`; did you mean `adam`?"
    );
    let err = build_optimizer(
        "Adam",
        &hyper(&[("beta", HyperValue::List(vec![0.9, 0.99]))]),
    )
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "Adam: unknown hyperparameter `beta`; did you mean `betas`?"
    );
    let err = build_optimizer("SGD", &hyper(&[("nesterov", HyperValue::Bool(true))]))
        .err()
        .unwrap();
    assert!(
        err.to_string().starts_with("SGD: invalid `nesterov`"),
        "{err}"
    );
    let err = build_optimizer("RMSprop", &hyper(&[("alpha", num(1.5))]))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "RMSprop: invalid `alpha` = 1.5: must be in [0, 1)"
    );
    let h = hyper(&[
        ("inner", HyperValue::Text("sgd".into())),
        ("momentun", num(0.9)),
    ]);
    let err = build_optimizer("lookahead", &h).err().unwrap();
    assert_eq!(
        err.to_string(),
        "sgd: unknown hyperparameter `momentun`; did you mean `momentum`?"
    );
}

#[test]
#[should_panic(expected = "state is for 4 parameters")]
fn changing_the_buffer_length_panics() {
    let mut adam = build_optimizer("adam", &Hyper::new()).unwrap();
    adam.step(&mut [0.0; 4], &[1.0; 4], 0.1);
    adam.step(&mut [0.0; 5], &[1.0; 5], 0.1);
}
