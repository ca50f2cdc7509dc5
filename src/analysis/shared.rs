//! Failure modes shared across classes, proposed from the val rows of every class at once.
//!
//! A failure that hurts ten classes ("at night") shows, class by class, as ten weak findings.
//! Here every val row is centred on the mean of its own class's correct val rows, which removes
//! what the classes are and keeps how each row differs from the class's typical right answer.
//! The direction along which the errors' second moment most exceeds the correct rows' (as for a
//! class's own modes, see [`super::modes`]) is a direction many errors of many classes share. It
//! is refined as the mean error offset of the classes whose val rows it separates, then
//! projected out before looking for the next one. Whether it really hurts a class is decided on
//! that class's test rows by [`super::assess`].

use super::eigen::top_eigenpair;
use super::linalg::{axpy, dot};
use super::preprocess::Standardizer;
use super::stats::ranks_errors_first_approx;
use crate::data::{Dataset, Split};
use serde::{Deserialize, Serialize};

/// A class that a shared direction is proposed for: where its correct val rows sit and how its
/// val errors differ from them, in the transformed space (earlier shared directions projected
/// out of the offset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedMember {
    pub class: u32,
    /// Mean of the class's correct val rows (sampled).
    pub centre: Vec<f64>,
    /// Mean of its val errors minus `centre`.
    pub offset: Vec<f64>,
}

/// A direction proposed as a failure shared by several classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedCandidate {
    /// Unit vector in the transformed space pointing towards the errors: the members' mean
    /// error offset.
    pub direction: Vec<f64>,
    /// The classes whose val rows the direction learned from the *other* members separates
    /// (see `MEMBER_FDR`); each is tested on its test rows.
    pub members: Vec<SharedMember>,
}

impl SharedCandidate {
    pub fn member(&self, class: u32) -> Option<&SharedMember> {
        self.members.iter().find(|m| m.class == class)
    }

    /// The direction learned from every member but `class`: a class's own failure cannot make
    /// it look shared when it is judged along this.
    pub fn direction_without(&self, class: u32) -> Vec<f64> {
        let mut sum = vec![0.0; self.direction.len()];
        for m in self.members.iter().filter(|m| m.class != class) {
            sum.iter_mut().zip(&m.offset).for_each(|(s, o)| *s += o);
        }
        unit(&mut sum);
        sum
    }

    /// Decision value of a transformed row of `class` along `direction` (negative = the hard
    /// side): zero midway between the class's correct val rows and its val errors.
    pub fn decision_along(&self, direction: &[f64], class: u32, transformed: &[f32]) -> f64 {
        let threshold = self.member(class).map_or(0.0, |m| {
            m.centre
                .iter()
                .zip(&m.offset)
                .zip(direction)
                .map(|((c, o), d)| (c + 0.5 * o) * d)
                .sum()
        });
        threshold - dot(direction, transformed)
    }

    /// Decision value along the shared direction itself.
    pub fn decision(&self, class: u32, transformed: &[f32]) -> f64 {
        self.decision_along(&self.direction, class, transformed)
    }
}

/// Rows taken from the whole dataset for the search: a budget spread over the classes, errors
/// first (they carry the signal), so 1,000,000 rows cost what 100,000 do. Each class gets at
/// least `PER_CLASS` rows when the total stays within `MAX_SAMPLE`: whether a class shares a
/// failure is judged on its own sampled rows.
const SAMPLE_ROWS: usize = 40_000;
const PER_CLASS: usize = 100;
const MAX_SAMPLE: usize = 200_000;
/// Rows the eigenvector search runs on (errors first): it only seeds the refinement, and its
/// cost is steps x these rows x dim.
const EIGEN_ROWS: usize = 8_000;
const LANCZOS_STEPS: usize = 12;
const REFINE_ROUNDS: usize = 8;
/// The search stops after this many attempts in a row propose nothing.
const FRUITLESS_ATTEMPTS: usize = 2;
/// The val evidence that puts a class forward for testing: significant among all classes
/// (Benjamini-Hochberg at this rate over the classes' val tests, so a thousand classes do not
/// put ten forward by chance), and strong. Every class's error offset shares a little with
/// every other's (errors sit off the class's typical attributes, whatever they are), so a weak
/// separation is an echo, not a shared failure; a class's own failure separates its errors
/// with an AUC of 0.75 and more.
const MEMBER_FDR: f64 = 0.05;
const MEMBER_AUC: f64 = 0.65;

struct Sample {
    dim: usize,
    /// Transformed rows, each centred on its class's correct val mean, row-major.
    x: Vec<f32>,
    class: Vec<u32>,
    error: Vec<bool>,
    /// Per class, the uncentred mean of its sampled correct rows (to place thresholds).
    centres: Vec<Vec<f64>>,
    /// Per class, its rows in the sample (they are contiguous).
    ranges: Vec<std::ops::Range<usize>>,
    /// Errors an earlier shared direction explains: left out of the search for the next.
    explained: Vec<bool>,
    /// The rows the eigenvector search uses.
    eigen_rows: Vec<usize>,
}

fn sample(dataset: &Dataset, standardizer: &Standardizer) -> Sample {
    let dim = dataset.dim();
    let by_class = dataset.rows_by_class(Split::Val);
    let classes = by_class.len().max(1);
    let per_class = (SAMPLE_ROWS / classes)
        .max(PER_CLASS.min(MAX_SAMPLE / classes))
        .max(20);
    let mut x = Vec::new();
    let mut class = Vec::new();
    let mut error = Vec::new();
    let mut centres = Vec::with_capacity(by_class.len());
    let mut ranges = Vec::with_capacity(by_class.len());
    let mut scratch = vec![0.0f32; dim];
    for (c, rows) in by_class.iter().enumerate() {
        let (errs, rights): (Vec<usize>, Vec<usize>) = rows
            .iter()
            .partition(|&&i| dataset.correct[i] == Some(false));
        // Half the budget for errors, more when the class has few correct rows.
        let take_errors = (per_class / 2)
            .max(per_class.saturating_sub(rights.len()))
            .min(errs.len());
        let take_right = (per_class - take_errors).min(rights.len());
        let chosen_errors = thin(&errs, take_errors);
        let chosen_right = thin(&rights, take_right);
        let mut centre = vec![0.0f64; dim];
        let start = class.len();
        for (&i, is_error) in chosen_errors
            .iter()
            .map(|i| (i, true))
            .chain(chosen_right.iter().map(|i| (i, false)))
        {
            standardizer.transform_into(dataset.embeddings.row(i), &mut scratch);
            if !is_error {
                axpy(1.0, &scratch, &mut centre);
            }
            x.extend_from_slice(&scratch);
            class.push(c as u32);
            error.push(is_error);
        }
        let n = chosen_right.len().max(1) as f64;
        centre.iter_mut().for_each(|v| *v /= n);
        for k in start..class.len() {
            for (v, m) in x[k * dim..(k + 1) * dim].iter_mut().zip(&centre) {
                *v = (*v as f64 - m) as f32;
            }
        }
        centres.push(centre);
        ranges.push(start..class.len());
    }
    let explained = vec![false; class.len()];
    // Every error when they fit, then correct rows, spread evenly over the sample.
    let (errs, rights): (Vec<usize>, Vec<usize>) = (0..class.len()).partition(|&k| error[k]);
    let take_errors = errs
        .len()
        .min(EIGEN_ROWS / 2)
        .max(EIGEN_ROWS.saturating_sub(rights.len()));
    let mut eigen_rows = thin(&errs, take_errors);
    eigen_rows.extend(thin(&rights, EIGEN_ROWS.saturating_sub(eigen_rows.len())));
    Sample {
        dim,
        x,
        class,
        error,
        centres,
        ranges,
        explained,
        eigen_rows,
    }
}

fn thin(rows: &[usize], cap: usize) -> Vec<usize> {
    if rows.len() <= cap {
        return rows.to_vec();
    }
    (0..cap).map(|k| rows[k * rows.len() / cap]).collect()
}

fn unit(v: &mut [f64]) {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn project_out(v: &mut [f64], u: &[f64]) {
    let c: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
    v.iter_mut().zip(u).for_each(|(a, b)| *a -= c * b);
}

impl Sample {
    fn row(&self, k: usize) -> &[f32] {
        &self.x[k * self.dim..(k + 1) * self.dim]
    }

    /// (D p) with D = E[zzᵀ | error] − E[zzᵀ | correct] over the sample, `found` projected out.
    fn apply(&self, p: &[f64], found: &[Vec<f64>], out: &mut [f64]) {
        use rayon::prelude::*;
        let mut p = p.to_vec();
        for u in found {
            project_out(&mut p, u);
        }
        let errors = self
            .eigen_rows
            .iter()
            .filter(|&&k| self.error[k] && !self.explained[k])
            .count()
            .max(1) as f64;
        let right = (self.eigen_rows.iter().filter(|&&k| !self.error[k]).count() as f64).max(1.0);
        // Partial sums over fixed chunks, added in order: deterministic on any thread count.
        let partials: Vec<Vec<f64>> = self
            .eigen_rows
            .par_chunks(super::modes::REDUCE_CHUNK)
            .map(|chunk| {
                let mut acc = vec![0.0; self.dim];
                for &k in chunk {
                    if self.explained[k] {
                        continue;
                    }
                    let x = self.row(k);
                    let weight = if self.error[k] {
                        1.0 / errors
                    } else {
                        -1.0 / right
                    };
                    axpy(weight * dot(&p, x), x, &mut acc);
                }
                acc
            })
            .collect();
        let mut acc = vec![0.0; self.dim];
        for part in partials {
            acc.iter_mut().zip(&part).for_each(|(a, b)| *a += b);
        }
        out.copy_from_slice(&acc);
        for u in found {
            project_out(out, u);
        }
    }

    /// How well `v` separates the class's sampled val rows: its errors further along it than
    /// its correct rows (one-sided Mann-Whitney).
    fn separation(&self, v: &[f64], class: u32) -> Option<super::stats::RankTest> {
        let rows: Vec<usize> = self.ranges[class as usize]
            .clone()
            .filter(|&k| !self.explained[k])
            .collect();
        let values: Vec<f64> = rows.iter().map(|&k| -dot(v, self.row(k))).collect();
        let flags: Vec<bool> = rows.iter().map(|&k| self.error[k]).collect();
        ranks_errors_first_approx(&values, &flags)
    }

    /// The classes whose val rows `direction_for(class)` separates: strongly (AUC at least
    /// `MEMBER_AUC`) and significantly among all classes (Benjamini-Hochberg at `MEMBER_FDR`).
    fn members(
        &self,
        classes: usize,
        direction_for: impl Fn(u32) -> Option<Vec<f64>> + Sync,
    ) -> Vec<u32> {
        use rayon::prelude::*;
        let tests: Vec<Option<super::stats::RankTest>> = (0..classes as u32)
            .into_par_iter()
            .map(|c| self.separation(&direction_for(c)?, c))
            .collect();
        let p: Vec<f64> = tests.iter().map(|t| t.map_or(1.0, |t| t.p_value)).collect();
        let q = super::stats::benjamini_hochberg(&p);
        (0..classes)
            .filter(|&c| tests[c].is_some_and(|t| t.auc >= MEMBER_AUC) && q[c] < MEMBER_FDR)
            .map(|c| c as u32)
            .collect()
    }

    /// Each class's mean offset of its errors not yet explained (None without such errors or
    /// without correct rows).
    fn offsets(&self, classes: usize) -> Vec<Option<Vec<f64>>> {
        (0..classes)
            .map(|c| {
                let range = self.ranges[c].clone();
                let rows: Vec<usize> = range
                    .clone()
                    .filter(|&k| self.error[k] && !self.explained[k])
                    .collect();
                if rows.is_empty() || range.clone().all(|k| self.error[k]) {
                    return None;
                }
                let mut mean = vec![0.0; self.dim];
                for &k in &rows {
                    axpy(1.0, self.row(k), &mut mean);
                }
                mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
                Some(mean)
            })
            .collect()
    }
}

/// Proposes up to `max_shared` shared directions; each puts forward at least two classes.
pub fn propose_shared(
    dataset: &Dataset,
    standardizer: &Standardizer,
    max_shared: usize,
    seed: u64,
) -> Vec<SharedCandidate> {
    let classes = dataset.num_classes();
    if max_shared == 0 || classes < 2 {
        return Vec::new();
    }
    let mut sample = sample(dataset, standardizer);
    if !sample.error.iter().any(|&e| e) || sample.error.iter().all(|&e| e) {
        return Vec::new();
    }
    // Directions the eigen search has used up (all of them), and the accepted ones, which are
    // also projected out of the class offsets. Only accepted ones: projecting a contrast such as
    // (snow − beach) out of two classes' offsets would make them look alike.
    let mut found: Vec<Vec<f64>> = Vec::new();
    let mut accepted: Vec<Vec<f64>> = Vec::new();
    let mut proposed = Vec::new();
    let mut fruitless = 0;
    for attempt in 0..max_shared + FRUITLESS_ATTEMPTS {
        if proposed.len() >= max_shared || fruitless >= FRUITLESS_ATTEMPTS {
            break;
        }
        let offsets = sample.offsets(classes);
        let deflated = |c: usize| {
            offsets[c].as_ref().map(|o| {
                let mut o = o.clone();
                for u in &accepted {
                    project_out(&mut o, u);
                }
                o
            })
        };
        // Two seeds, the one that puts more classes forward wins: the leading direction of the
        // errors' excess second moment (a failure many errors share, whatever their class),
        // and the mean direction of the classes' error offsets (a failure many classes share,
        // however few errors each has: it adds up across classes, their own failures do not).
        let eigen = top_eigenpair(
            sample.dim,
            LANCZOS_STEPS,
            seed + attempt as u64,
            |p, out| sample.apply(p, &found, out),
        )
        .filter(|(value, _)| *value > 0.0)
        .map(|(_, mut v)| {
            // Towards the errors.
            let towards: f64 = (0..sample.class.len())
                .filter(|&k| sample.error[k])
                .map(|k| dot(&v, sample.row(k)))
                .sum();
            if towards < 0.0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            v
        });
        let mean_offset = {
            let mut mean = vec![0.0; sample.dim];
            for c in 0..classes {
                if let Some(mut o) = deflated(c) {
                    for u in &found {
                        project_out(&mut o, u);
                    }
                    unit(&mut o);
                    mean.iter_mut().zip(&o).for_each(|(m, x)| *m += x);
                }
            }
            unit(&mut mean);
            Some(mean).filter(|m| m.iter().any(|x| *x != 0.0))
        };
        let seeds: Vec<(Vec<f64>, Vec<u32>)> = [eigen, mean_offset]
            .into_iter()
            .flatten()
            .map(|v| {
                let members = sample.members(classes, |_| Some(v.clone()));
                (v, members)
            })
            .collect();
        let Some((v, mut members)) = seeds.into_iter().max_by_key(|(_, m)| m.len()) else {
            break;
        };
        // Refined: a class stays a member when the direction learned from the other members
        // separates its val rows.
        for _ in 0..REFINE_ROUNDS {
            // The members' offsets summed once; each class is judged by the sum less its own.
            let offsets: Vec<(u32, Vec<f64>)> = members
                .iter()
                .filter_map(|&m| Some((m, deflated(m as usize)?)))
                .collect();
            let mut total = vec![0.0; sample.dim];
            for (_, o) in &offsets {
                total.iter_mut().zip(o).for_each(|(s, x)| *s += x);
            }
            let next: Vec<u32> = sample.members(classes, |c| {
                let own = offsets.iter().find(|(m, _)| *m == c).map(|(_, o)| o);
                if offsets.len() - usize::from(own.is_some()) == 0 {
                    return None;
                }
                let mut others = total.clone();
                if let Some(own) = own {
                    others.iter_mut().zip(own).for_each(|(s, x)| *s -= x);
                }
                unit(&mut others);
                Some(others)
            });
            if next == members {
                break;
            }
            members = next;
        }
        let members: Vec<SharedMember> = members
            .iter()
            .filter_map(|&c| {
                Some(SharedMember {
                    class: c,
                    centre: sample.centres[c as usize].clone(),
                    offset: deflated(c as usize)?,
                })
            })
            .collect();
        if members.len() >= 2 {
            let mut direction = vec![0.0; sample.dim];
            for m in &members {
                direction
                    .iter_mut()
                    .zip(&m.offset)
                    .for_each(|(d, o)| *d += o);
            }
            unit(&mut direction);
            let candidate = SharedCandidate { direction, members };
            // The members' errors on its hard side are explained: the next direction must find
            // others.
            for m in &candidate.members {
                for k in sample.ranges[m.class as usize].clone() {
                    if sample.error[k] {
                        // Sample rows are centred: add the centre back for the decision.
                        let centred = dot(&candidate.direction, sample.row(k));
                        let threshold: f64 = m
                            .offset
                            .iter()
                            .zip(&candidate.direction)
                            .map(|(o, d)| 0.5 * o * d)
                            .sum();
                        if centred > threshold {
                            sample.explained[k] = true;
                        }
                    }
                }
            }
            found.push(candidate.direction.clone());
            accepted.push(candidate.direction.clone());
            proposed.push(candidate);
            fruitless = 0;
        } else {
            found.push(v);
            fruitless += 1;
        }
    }
    proposed
}
