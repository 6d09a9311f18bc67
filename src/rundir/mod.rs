//! The run directory's files, each read and written in one place. So far the champions:
//! `champions.csv`, `archive/` and `gallery.png`, which evolution, gradient ascent and a merge
//! of runs write ([`champions::write`]) and every experiment reads ([`champions::read`]).

pub mod champions;
