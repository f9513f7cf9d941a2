//! Pins the port to CPython 3.11 without needing Python at test time.
//!
//! Every expected value here was printed by `python3` (3.11.7): the
//! `random.Random` figures by the stdlib itself, the digests from
//! `genlog.py`'s own output.  If any of them fails, the generator no longer
//! writes what genlog.py writes, and every sample log and benchmark figure
//! made from it would silently change meaning.

use routetop_genlog::pyrandom::{PyRandom, cumulative};
use routetop_genlog::{LogFormat, Options, generate_vec};

/// FNV-1a 64: trivial to write in Python and here, enough to pin bytes.
fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[test]
fn mt19937_words_match_python() {
    // random.Random(1).getrandbits(32) x 5
    let mut r = PyRandom::new(1);
    let got: Vec<u64> = (0..5).map(|_| r.getrandbits(32)).collect();
    assert_eq!(
        got,
        [577090037, 2444712010, 3639700191, 3445702192, 3280387012]
    );
    // ... and the 1001st-1003rd, past the first twist of the state.
    let mut r = PyRandom::new(1);
    for _ in 0..1000 {
        r.next_u32();
    }
    let got: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
    assert_eq!(got, [2160508093, 2908822078, 1532524906]);
}

#[test]
fn int_seeds_match_python() {
    // Zero, a seed over 32 bits (two key words), a negative one (abs), and
    // the 2^32 / 2^64 boundaries of the key length.
    let cases: [(i128, [u32; 3]); 5] = [
        (0, [3626764237, 1654615998, 3255389356]),
        (123456789012, [1619264890, 2798649831, 88888752]),
        (-5, [2675342405, 1097127993, 3185950873]),
        ((1 << 64) + 3, [3921169615, 2134766284, 3962962676]),
        (1 << 32, [485306839, 1508871100, 1794561286]),
    ];
    for (seed, want) in cases {
        let mut r = PyRandom::new(seed);
        let got: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
        assert_eq!(got, want, "seed {seed}");
    }
}

#[test]
fn random_and_float_distributions_match_python() {
    let mut r = PyRandom::new(1);
    let got: Vec<f64> = (0..3).map(|_| r.random()).collect();
    assert_eq!(
        got,
        [0.13436424411240122, 0.8474337369372327, 0.763774618976614]
    );

    // Three values: the second comes from the cached half of the first pair.
    let mut r = PyRandom::new(1);
    let got: Vec<f64> = (0..3).map(|_| r.gauss(0.0, 1.0)).collect();
    assert_eq!(
        got,
        [1.2881847531554629, 1.449445608699771, 0.06633580893826191]
    );

    let mut r = PyRandom::new(1);
    let got: Vec<f64> = (0..3).map(|_| r.expovariate(1.0)).collect();
    assert_eq!(
        got,
        [0.1442910641095092, 1.8801562654206254, 1.4429689253466629]
    );

    let mut r = PyRandom::new(1);
    let got: Vec<f64> = (0..3).map(|_| r.uniform(0.5, 1.1)).collect();
    assert_eq!(
        got,
        [0.5806185464674407, 1.0084602421623396, 0.9582647713859684]
    );
}

#[test]
fn integer_methods_match_python() {
    let mut r = PyRandom::new(1);
    let got: Vec<u64> = [1, 8, 16, 27, 33, 64]
        .iter()
        .map(|&k| r.getrandbits(k))
        .collect();
    assert_eq!(
        got,
        [0, 145, 55537, 107678193, 3280387012, 2175216119781798972]
    );

    let mut r = PyRandom::new(1);
    let got: Vec<i64> = (0..5).map(|_| r.randrange(2000, 400_000)).collect();
    assert_eq!(got, [72445, 300426, 35086, 135729, 63823]);

    let octets = [10, 66, 73, 81, 94, 103, 172, 185, 192, 203];
    let mut r = PyRandom::new(1);
    let got: Vec<i32> = (0..5).map(|_| *r.choice(&octets)).collect();
    assert_eq!(got, [73, 203, 66, 94, 66]);

    let mut r = PyRandom::new(1);
    let mut x: Vec<u32> = (0..10).collect();
    r.shuffle(&mut x);
    assert_eq!(x, [6, 8, 9, 7, 5, 3, 0, 4, 1, 2]);
}

#[test]
fn choices_with_cum_weights_match_python() {
    // random.Random(1).choices(range(5), cum_weights=[1, 3, 6, 10, 15], k=10)
    let cw = cumulative([1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(cw, [1.0, 3.0, 6.0, 10.0, 15.0]);
    let mut r = PyRandom::new(1);
    let total = cw[cw.len() - 1] + 0.0;
    let got: Vec<usize> = (0..10).map(|_| r.choices_index(&cw, total)).collect();
    assert_eq!(got, [1, 4, 4, 2, 3, 3, 3, 4, 1, 0]);

    // Float weights: choices(range(4), cum_weights=[0.5, 1.25, 1.5, 3.0], k=10)
    let cw = [0.5, 1.25, 1.5, 3.0];
    let mut r = PyRandom::new(1);
    let got: Vec<usize> = (0..10).map(|_| r.choices_index(&cw, 3.0)).collect();
    assert_eq!(got, [0, 3, 3, 1, 2, 2, 3, 3, 0, 0]);
}

fn digest(opts: &Options) -> u64 {
    fnv1a64(&generate_vec(opts).expect("valid options"))
}

#[test]
fn first_20000_default_lines_match_genlog_py() {
    // fnv1a64(`python3 genlog.py --lines 20000`): one full 20 000-line
    // chunk of the defaults (combined_rt, seed 1, 200 routes).
    let opts = Options {
        lines: 20_000,
        ..Options::default()
    };
    assert_eq!(digest(&opts), 0x6b47_32e0_8d5f_17aa);
}

#[test]
fn sample_log_inputs_match_genlog_py() {
    // What scripts/make-sample-logs.py asks for: --routes 40 --rate 4
    // --lines 2000, in each format (seed 7 for seed000/json, 1 otherwise).
    let base = Options {
        lines: 2000,
        routes: 40,
        rate: 4.0,
        ..Options::default()
    };
    assert_eq!(digest(&base), 0x94b5_e5bf_0338_e030);
    let seven = Options { seed: 7, ..base };
    let seed000 = Options {
        format: LogFormat::Seed000,
        ..seven.clone()
    };
    assert_eq!(digest(&seed000), 0x7b19_c46f_5130_8cdd);
    let json = Options {
        format: LogFormat::Json,
        ..seven
    };
    assert_eq!(digest(&json), 0xa069_1b6f_b9ed_bb13);
}

#[test]
fn a_whole_number_of_chunks_is_a_prefix_of_a_longer_run() {
    // genlog.py draws its per-line choices in batches of 20 000, so only a
    // run of whole batches is a prefix of a longer one (a 40-line run is
    // not the first 40 lines of a 1000-line run, in genlog.py too).
    let short = generate_vec(&Options {
        lines: 20_000,
        routes: 40,
        ..Options::default()
    })
    .expect("valid options");
    let long = generate_vec(&Options {
        lines: 45_000,
        routes: 40,
        ..Options::default()
    })
    .expect("valid options");
    assert!(long.starts_with(&short));
    assert_eq!(short.iter().filter(|&&b| b == b'\n').count(), 20_000);
    assert_eq!(long.iter().filter(|&&b| b == b'\n').count(), 45_000);
}

#[test]
fn zero_lines_is_empty() {
    let opts = Options {
        lines: 0,
        ..Options::default()
    };
    assert!(generate_vec(&opts).expect("valid options").is_empty());
}
