//! descent-autograd
