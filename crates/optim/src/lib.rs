//! descent-optim
