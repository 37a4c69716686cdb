-- Toxicology database: molecules tested for carcinogenicity, their atoms and bonds.
-- Written the way BIRD publishes its schemas: every description is a SQL comment.

-- One row per tested molecule.
CREATE TABLE molecule
(
    molecule_id TEXT not null primary key, -- unique id of the molecule
    label       TEXT null -- whether the molecule is carcinogenic: '+' yes, '-' no
);

-- One row per atom of a molecule.
CREATE TABLE atom
(
    atom_id     TEXT not null primary key, -- unique id of the atom
    molecule_id TEXT null, -- the molecule the atom belongs to; references molecule(molecule_id)
    element     TEXT null -- chemical element: cl = chlorine, c = carbon, h = hydrogen, o = oxygen
);

/* Bonds between two atoms of the same molecule. */
CREATE TABLE bond
(
    bond_id     TEXT not null primary key, -- unique id of the bond
    molecule_id TEXT null, -- foreign key to molecule(molecule_id)
    -- bond type: '-' single, '=' double, '#' triple
    bond_type   TEXT null
);

CREATE TABLE connected
(
    atom_id  TEXT not null, -- first atom; references atom(atom_id)
    atom_id2 TEXT not null, -- second atom; references atom(atom_id)
    bond_id  TEXT null, -- the bond joining them
    primary key (atom_id, atom_id2),
    foreign key (bond_id) references bond (bond_id)
);
