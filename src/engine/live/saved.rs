//! The live engine's state saved and restored (`--state`,
//! `engine/persist.rs` for the file): every since-start count and where
//! each source's files were counted, taken between two events so that the
//! two agree.

use std::time::{Duration, Instant, SystemTime};

use super::engine::LiveEngine;
use crate::engine::event::InputState;
use crate::engine::hist::Hist;
use crate::engine::key::Key;
use crate::engine::persist::{
    STATE_VERSION, Saved, SavedKey, SavedLatency, SavedMark, SavedSource, restore_hist,
    restore_input, restore_stats, save_hist, save_input, save_timer,
};
use crate::engine::window::Recent;
use crate::route::{OVERFLOW_ID, RouteId};

impl LiveEngine {
    /// The state to save (`--state`): every since-start count and, per
    /// source, how far each file was counted — as of now, between two
    /// events, so the two agree.
    pub fn save(&mut self) -> Saved {
        let (agg, inputs) = self.shard.read();
        let keys = agg
            .entries
            .iter()
            .map(|e| SavedKey {
                source: e.key.source,
                route: e.key.route,
                method: e.key.method,
                status: e.key.status,
                count: e.stats.count,
                bytes: e.stats.bytes,
                latency: save_timer(&e.stats.latency),
                upstream: e.stats.upstream.as_deref().map(save_timer),
            })
            .collect();
        let (span, keys_folded) = (agg.span, agg.keys_folded);
        let facets = crate::engine::persist::save_facets(&agg.facets);
        let inputs = inputs.to_vec();
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let routes = reg.routes.names().iter().map(|n| n.to_string()).collect();
        let methods = reg.methods.names().iter().map(|n| n.to_string()).collect();
        let folded = reg.routes.folded_hashes();
        let max_routes = reg.routes.cap();
        drop(reg);
        let union = &mut self.union;
        let latency = |route: u32, r: &mut Recent, union: &mut Hist| {
            let (h, max_us, log2) = r.since_parts(union);
            SavedLatency {
                route,
                max_us,
                log2: log2.to_vec(),
                hist: save_hist(h),
            }
        };
        let route_latency = self
            .recent
            .iter_mut()
            .enumerate()
            .filter_map(|(id, r)| Some(latency(id as u32, r.as_mut()?, union)))
            .collect();
        let total_latency = latency(0, &mut self.total, union);
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let st = inputs.get(i).cloned().unwrap_or_default();
                let (errors, odd, samples) = save_input(&st);
                SavedSource {
                    id: i as u16,
                    name: s.name.clone(),
                    fields: s.fields.clone().and_then(|f| {
                        let name = s.format.as_ref()?.name();
                        // The preset the header applies to: `iis`, not
                        // the name a header gave it.
                        let base = name.split(' ').next().unwrap_or(name).to_string();
                        Some((base, f))
                    }),
                    line_no: s.line_no,
                    rotations: s.rotations,
                    lines: st.lines,
                    requests: st.requests,
                    sized: Some(st.requests - st.sizeless),
                    errors,
                    odd,
                    samples,
                    variants: st.variants.to_vec(),
                    format: s.format.as_ref().and_then(|f| {
                        let names = f.variant_names();
                        (!names.is_empty()).then(|| {
                            let names = names.into_iter().map(String::from).collect();
                            (f.name().to_string(), names)
                        })
                    }),
                    marks: s
                        .marks
                        .iter()
                        .map(|m| SavedMark {
                            dev: m.file.0,
                            ino: m.file.1,
                            end: m.end,
                            fp: m.fp.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        let saved_at_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Saved {
            version: STATE_VERSION,
            saved_at_ms,
            counting_secs: self.started.elapsed().as_secs_f64(),
            bounds_us: self.cfg.engine.bounds_us.to_vec(),
            max_routes,
            routes,
            methods,
            folded,
            keys_folded,
            span,
            keys,
            route_latency,
            total_latency,
            sources,
            facets,
        }
    }

    /// Starts from saved state, before any event: counts go on from the
    /// saved ones, under the same source ids (the follower gives each
    /// saved input its id back). Routes are registered again by name, under
    /// today's cap (past it they fold into the overflow, as new ones
    /// would). Refused when the bucket bounds differ: the saved bucket
    /// counters would mean other ranges.
    pub fn restore(&mut self, saved: &Saved) -> Result<(), String> {
        if saved.bounds_us[..] != self.cfg.engine.bounds_us[..] {
            return Err("it was saved with other latency buckets (--buckets)".into());
        }
        let (routes, methods) = {
            let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
            let routes: Vec<RouteId> = saved
                .routes
                .iter()
                .enumerate()
                .map(|(i, n)| match i {
                    0 => OVERFLOW_ID,
                    _ => reg.routes.intern(n.as_bytes()),
                })
                .collect();
            reg.routes.note_folded(&saved.folded);
            let methods: Vec<u8> = saved
                .methods
                .iter()
                .map(|m| reg.methods.intern(m.as_bytes()))
                .collect();
            (routes, methods)
        };
        let n_buckets = self.cfg.engine.bounds_us.len();
        let (agg, inputs) = self.shard.parts_mut();
        for k in &saved.keys {
            let key = Key {
                source: k.source,
                route: routes.get(k.route as usize).copied().unwrap_or(OVERFLOW_ID),
                method: methods
                    .get(k.method as usize)
                    .copied()
                    .unwrap_or(crate::engine::key::METHOD_OTHER),
                status: k.status,
            };
            agg.add(key, &restore_stats(k, n_buckets));
        }
        if let Some((a, b)) = saved.span {
            agg.note_time(a);
            agg.note_time(b);
        }
        agg.keys_folded += saved.keys_folded;
        let route = |r: u32| routes.get(r as usize).copied().unwrap_or(OVERFLOW_ID);
        crate::engine::persist::restore_facets(&mut agg.facets, &saved.facets, route);
        for src in &saved.sources {
            let i = src.id as usize;
            if inputs.len() <= i {
                inputs.resize_with(i + 1, Default::default);
            }
            inputs[i] = restore_input(src);
        }
        for src in &saved.sources {
            let s = self.source(src.id);
            s.name = src.name.clone();
            // Until the follower says what it makes of it (it says `done`
            // of a saved input no path names any more). Not `waiting`,
            // which views would print as "no such file".
            s.state = InputState::Following;
            s.rotations = src.rotations;
            s.line_no = src.line_no;
            s.resume_fields = src.fields.clone();
            s.resume_format = src.format.clone();
            s.marks = src.marks.iter().map(SavedMark::file_mark).collect();
        }
        let (ws, series) = (&self.window_steps, self.cfg.series);
        for l in &saved.route_latency {
            let id = routes.get(l.route as usize).copied().unwrap_or(OVERFLOW_ID) as usize;
            if self.recent.len() <= id {
                self.recent.resize_with(id + 1, || None);
            }
            self.recent[id]
                .get_or_insert_with(|| Recent::new(ws, series))
                .restore_since(restore_hist(&l.hist), l.max_us, &l.log2);
        }
        let t = &saved.total_latency;
        self.total
            .restore_since(restore_hist(&t.hist), t.max_us, &t.log2);
        let counted = Duration::try_from_secs_f64(saved.counting_secs).unwrap_or_default();
        self.started = Instant::now().checked_sub(counted).unwrap_or(self.started);
        self.since_cache = None;
        self.news = true;
        Ok(())
    }
}
