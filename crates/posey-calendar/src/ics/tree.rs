//! The tree an iCalendar text is: components, their properties and parameters, and the
//! limits and errors of reading one.

/// A component (`VCALENDAR`, `VEVENT`, `VALARM`, ...): its properties in file order and the
/// components inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Upper-case, as RFC 5545 names are case-insensitive.
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

/// One content line: `NAME;PARAM=a,b:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper-case.
    pub name: String,
    pub params: Vec<Param>,
    /// The value as written after unfolding (TEXT still escaped: see `values::text`).
    pub value: String,
}

/// A property parameter; its values unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Upper-case.
    pub name: String,
    pub values: Vec<String>,
}

/// What one parse may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole text, in bytes.
    pub max_bytes: usize,
    /// One unfolded content line, in bytes.
    pub max_line: usize,
    /// Components in all, at any depth.
    pub max_components: usize,
    /// Nesting of components (`VCALENDAR` > `VEVENT` > `VALARM` is 3).
    pub max_depth: usize,
    /// Properties in all.
    pub max_properties: usize,
}

impl Limits {
    /// For one calendar object resource (a CalDAV PUT, a REST body): an event with its
    /// overrides and alarms.
    pub const OBJECT: Self = Self {
        max_bytes: 1 << 20,
        max_line: 64 << 10,
        max_components: 2_000,
        max_depth: 4,
        max_properties: 20_000,
    };

    /// For an imported file or a subscribed feed: a whole calendar.
    pub const FILE: Self = Self {
        max_bytes: 32 << 20,
        max_line: 64 << 10,
        max_components: 100_000,
        max_depth: 4,
        max_properties: 1_000_000,
    };
}

/// Why a text is no iCalendar, naming where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IcsError {
    /// 1-based, of the physical (folded) line where the problem starts; 0 for the whole text.
    pub line: usize,
    pub message: String,
}

impl Component {
    pub fn new(name: &str) -> Self {
        Self { name: name.to_ascii_uppercase(), properties: Vec::new(), components: Vec::new() }
    }

    /// The first property named `name` (upper-case).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|property| property.name == name)
    }

    /// Every property named `name` (upper-case), in order.
    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties.iter().filter(move |property| property.name == name)
    }

    /// The components named `name` (upper-case) directly inside this one.
    pub fn components_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.components.iter().filter(move |component| component.name == name)
    }

    /// Adds a property with `value` written as it is (escape TEXT first).
    pub fn push(&mut self, name: &str, value: impl Into<String>) -> &mut Property {
        self.properties.push(Property::new(name, value));
        self.properties.last_mut().expect("just pushed")
    }
}

impl Property {
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Self { name: name.to_ascii_uppercase(), params: Vec::new(), value: value.into() }
    }

    /// The first value of parameter `name` (upper-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|param| param.name == name)
            .and_then(|param| param.values.first())
            .map(String::as_str)
    }

    /// Sets parameter `name` to the one value `value`.
    pub fn with_param(mut self, name: &str, value: impl Into<String>) -> Self {
        let name = name.to_ascii_uppercase();
        self.params.retain(|param| param.name != name);
        self.params.push(Param { name, values: vec![value.into()] });
        self
    }
}
