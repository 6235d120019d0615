//! `jwt`: JSON Web Token authentication as Go kratos's `middleware/auth/jwt`. Being built.
