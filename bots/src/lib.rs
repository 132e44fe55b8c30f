//! Bots for every faction (work in progress).
