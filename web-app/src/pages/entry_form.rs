//! The record and amend form's values: read from the posted fields, shown again
//! as typed when something is wrong, and made into the App's `EntryInput`. The
//! checks themselves are the App's; this only moves values between the form's
//! fields and the API's types, and names each API field's input for the errors.

use crate::core_app::{
    AppError, Category, DateParts, EntryInput, Person, PersonInput, Role, WhenInput, WhenKind,
    CONFIRM_FUTURE_FIELD,
};
use crate::page::FieldErrors;

/// Every input of the form, as text (what the template shows back).
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub title: String,
    pub text: String,
    pub when_kind: String,
    pub start: DateParts,
    pub end: DateParts,
    pub when_words: String,
    /// The survivor ticked "yes, that date is right" (shown once questioned).
    pub confirm_future: bool,
    /// The question about a future date is on the page.
    pub future_questioned: bool,
    pub categories: Vec<String>,
    pub tags: String,
    pub severity: String,
    pub location: String,
    /// Person ids ticked.
    pub people: Vec<String>,
    pub new_person_name: String,
    pub new_person_role: String,
    pub injuries: String,
    pub police_references: String,
    pub actions_taken: String,
    pub impact: String,
}

/// The choices the form offers.
#[derive(Debug, Clone)]
pub struct Choices {
    pub categories: Vec<Category>,
    pub people: Vec<Person>,
    pub roles: Vec<Role>,
}

/// The "when" radios: value, label, hint.
pub const WHEN_KINDS: [(&str, &str); 6] = [
    ("exact", "At an exact time"),
    ("day", "On a day"),
    ("month", "In a month"),
    ("range", "Between two dates"),
    ("words", "Describe it in words"),
    ("not-sure", "Not sure"),
];

/// The severity radios, 1 to 5, with words for each end.
pub const SEVERITIES: [(&str, &str); 6] = [
    ("1", "1 (least serious)"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", "5 (most serious)"),
    ("", "Not given"),
];

impl EntryForm {
    /// The form as posted (a field may repeat: categories, people).
    pub fn from_fields(fields: &[(String, String)]) -> EntryForm {
        let mut form = EntryForm::default();
        for (name, value) in fields {
            let value = value.clone();
            match name.as_str() {
                "title" => form.title = value,
                "text" => form.text = value,
                "when_kind" => form.when_kind = value,
                "when_day" => form.start.day = value,
                "when_month" => form.start.month = value,
                "when_year" => form.start.year = value,
                "when_time" => form.start.time = value,
                "when_end_day" => form.end.day = value,
                "when_end_month" => form.end.month = value,
                "when_end_year" => form.end.year = value,
                "when_end_time" => form.end.time = value,
                "when" => form.when_words = value,
                "confirm_future" => form.confirm_future = value == "yes",
                "future_questioned" => form.future_questioned = value == "yes",
                "categories" => form.categories.push(value),
                "tags" => form.tags = value,
                "severity" => form.severity = value,
                "location" => form.location = value,
                "people" => form.people.push(value),
                "new_person_name" => form.new_person_name = value,
                "new_person_role" => form.new_person_role = value,
                "injuries" => form.injuries = value,
                "police_references" => form.police_references = value,
                "actions_taken" => form.actions_taken = value,
                "impact" => form.impact = value,
                // Anything else (the draft's own fields) is not the entry's.
                _ => {}
            }
        }
        form
    }

    /// The form filled with an entry's values (to amend it).
    pub fn from_input(input: &EntryInput) -> EntryForm {
        EntryForm {
            title: input.title.clone(),
            text: input.text.clone(),
            when_kind: input.when.kind.as_str().to_owned(),
            start: input.when.start.clone(),
            end: input.when.end.clone(),
            when_words: input.when.words.clone(),
            confirm_future: false,
            future_questioned: false,
            categories: input.categories.clone(),
            tags: input.tags.join(", "),
            severity: input.severity.map(|n| n.to_string()).unwrap_or_default(),
            location: input.location.clone(),
            people: input.people.clone(),
            new_person_name: String::new(),
            new_person_role: String::new(),
            injuries: input.injuries.clone(),
            police_references: input.police_references.join("\n"),
            actions_taken: input.actions_taken.join("\n"),
            impact: input.impact.clone(),
        }
    }

    /// A new entry's form: "when" starts at "On a day".
    pub fn blank() -> EntryForm {
        EntryForm {
            when_kind: "day".into(),
            ..EntryForm::default()
        }
    }

    /// What the App is asked to record; a value the form cannot hold (a severity
    /// that is not a number) is refused here with the App's words.
    pub fn to_input(&self) -> Result<EntryInput, FieldErrors> {
        let kind = WhenKind::parse(&self.when_kind).unwrap_or(WhenKind::NotSure);
        let severity = match self.severity.trim() {
            "" => None,
            n => Some(
                n.parse::<u32>()
                    .map_err(|_| FieldErrors::one("severity", "Choose a severity from 1 to 5"))?,
            ),
        };
        let split = |s: &str, by: &[char]| -> Vec<String> {
            s.split(by)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let new_people = if self.new_person_name.trim().is_empty() {
            if self.new_person_role.trim().is_empty() {
                Vec::new()
            } else {
                return Err(FieldErrors::one(
                    "new_person_name",
                    "Enter the name of the person to add, or leave their role empty",
                ));
            }
        } else {
            vec![PersonInput {
                name: self.new_person_name.clone(),
                role: self.new_person_role.clone(),
                notes: String::new(),
            }]
        };
        Ok(EntryInput {
            title: self.title.clone(),
            text: self.text.clone(),
            when: WhenInput {
                kind,
                start: self.start.clone(),
                end: self.end.clone(),
                words: self.when_words.clone(),
            },
            confirm_future: self.confirm_future,
            categories: self.categories.clone(),
            tags: split(&self.tags, &[',']),
            severity,
            location: self.location.clone(),
            people: self.people.clone(),
            new_people,
            injuries: self.injuries.clone(),
            police_references: split(&self.police_references, &['\n', '\r']),
            actions_taken: split(&self.actions_taken, &['\n', '\r']),
            impact: self.impact.clone(),
        })
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.when_kind == kind
    }

    pub fn is_severity(&self, value: &str) -> bool {
        self.severity.trim() == value
    }

    pub fn has_category(&self, slug: &str) -> bool {
        self.categories.iter().any(|c| c == slug)
    }

    pub fn has_person(&self, id: &str) -> bool {
        self.people.iter().any(|p| p == id)
    }
}

/// The input an API field name is shown on (the error summary links to its id).
fn input_of(field: Option<&str>) -> &'static str {
    match field.unwrap_or_default() {
        "title" => "title",
        "text" => "text",
        "when" => "when",
        "when_day" => "when_day",
        "when_month" => "when_month",
        "when_year" => "when_year",
        "when_time" => "when_time",
        "when_end_day" => "when_end_day",
        "when_end_month" => "when_end_month",
        "when_end_year" => "when_end_year",
        "when_end_time" => "when_end_time",
        f if f == CONFIRM_FUTURE_FIELD => "confirm_future",
        "categories" => "categories",
        "severity" => "severity",
        "people" => "people",
        "new_person_name" => "new_person_name",
        "new_person_role" => "new_person_role",
        // The whole form (nothing changed, a field this page does not know).
        _ => "entry-form",
    }
}

/// A refusal shown on the form, or the error to pass on.
pub fn form_errors(error: AppError) -> Result<FieldErrors, AppError> {
    match error {
        AppError::InvalidInput { field, reason } => {
            Ok(FieldErrors::one(input_of(field.as_deref()), reason))
        }
        other => Err(other),
    }
}

/// The App's refusal with every other problem of the same input, in the form's
/// order: the survivor sees them all at once. A future date is asked about only
/// when the refusal itself asked (an amendment leaving a confirmed date as it was
/// does not ask again).
pub fn all_errors(refusal: AppError, problems: Vec<AppError>) -> Result<FieldErrors, AppError> {
    let first = form_errors(refusal)?;
    let Some(primary) = first.iter().next().cloned() else {
        return Ok(first);
    };
    let mut errors = FieldErrors::default();
    let mut seen_primary = false;
    for problem in problems {
        let AppError::InvalidInput { field, reason } = problem else {
            continue;
        };
        let input = input_of(field.as_deref());
        if input == "confirm_future" && primary.field != "confirm_future" {
            continue;
        }
        if errors.get(input).is_some() {
            continue;
        }
        seen_primary |= input == primary.field;
        errors.add(input, reason);
    }
    if !seen_primary {
        let mut with_primary = FieldErrors::one(primary.field, primary.message);
        for e in errors.iter() {
            with_primary.add(e.field, e.message.clone());
        }
        return Ok(with_primary);
    }
    Ok(errors)
}
