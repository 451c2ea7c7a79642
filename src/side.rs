//! The two sides of every comparison: the main run and the one it is compared with (the left
//! and right panes, a queue's two extract outputs or annotators). `PerSide` holds one value for
//! each and is indexed by `Side`, never by a number.

/// Which run: the main one, or the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Main,
    Compare,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Main, Side::Compare];
}

/// One value per side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerSide<T>([T; 2]);

impl<T> PerSide<T> {
    pub fn new(main: T, compare: T) -> PerSide<T> {
        PerSide([main, compare])
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut()
    }

    /// (side, value) for both sides, main first.
    pub fn sides(&self) -> impl Iterator<Item = (Side, &T)> {
        Side::BOTH.into_iter().zip(self.0.iter())
    }
}

fn position(side: Side) -> usize {
    match side {
        Side::Main => 0,
        Side::Compare => 1,
    }
}

impl<T> std::ops::Index<Side> for PerSide<T> {
    type Output = T;

    fn index(&self, side: Side) -> &T {
        &self.0[position(side)]
    }
}

impl<T> std::ops::IndexMut<Side> for PerSide<T> {
    fn index_mut(&mut self, side: Side) -> &mut T {
        &mut self.0[position(side)]
    }
}
