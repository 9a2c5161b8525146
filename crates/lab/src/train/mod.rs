//! The training loop: model + loss + optimizer + data + budget + stop rules -> metric rows.
